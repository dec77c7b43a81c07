import { ClamatorOptionsError } from '../../../lib/options/option-rules.js';

/** Runs `construct` and returns the ClamatorOptionsError it threw, checking that it names `owner` and `option`. */
export function optionError(construct: () => unknown, option: string, owner: string): ClamatorOptionsError {
  let thrown: unknown;
  try {
    construct();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ClamatorOptionsError);
  const error = thrown as ClamatorOptionsError;
  expect(error).toBeInstanceOf(TypeError);
  expect(error.name).toBe('ClamatorOptionsError');
  expect(error.owner).toBe(owner);
  expect(error.option).toBe(option);
  expect(error.message).toMatch(new RegExp(`^${owner}: `));
  expect(error.message).toContain(`option "${option}"`);
  return error;
}

/** Restores `REDIS_URL` after each test of the enclosing block (tests change it to check the fallback). */
export function restoreRedisUrlAfterEach(): void {
  const saved = process.env.REDIS_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  });
}

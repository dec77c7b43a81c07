import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import { checkSchema, schemaName } from '../../../lib/contracts/schema-check.js';

class Inner {
  @IsString() city!: string;
}
class Params {
  @IsInt() a!: number;
  @IsOptional() @IsString() note?: string;
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
}

describe('checkSchema with a class', () => {
  it('turns fitting params into an instance of the class, nested classes included', async () => {
    const check = await checkSchema(Params, { a: 1, inner: { city: 'Oslo' } }, 'params');
    expect(check.ok).toBe(true);
    const value = (check as { value: Params }).value;
    expect(value).toBeInstanceOf(Params);
    expect(value.inner).toBeInstanceOf(Inner);
  });

  it('refuses fields the class does not declare in params, naming each', async () => {
    await expect(checkSchema(Params, { a: 1, b: 2, inner: { city: 'Oslo', zip: 1 } }, 'params')).resolves.toEqual({
      ok: false,
      errors: [
        { field: 'b', message: 'property b should not exist', constraint: 'whitelistValidation' },
        { field: 'inner.zip', message: 'property zip should not exist', constraint: 'whitelistValidation' },
      ],
    });
  });

  it('drops fields the class does not declare in results', async () => {
    const check = await checkSchema(Params, { a: 1, b: 2 }, 'result');
    expect(check).toEqual({ ok: true, value: expect.any(Params) });
    expect({ ...(check as { value: object }).value }).toEqual({ a: 1 });
  });

  it('lists each failed constraint with its field as a dotted path', async () => {
    await expect(checkSchema(Params, { a: 'x', inner: { city: 3 } }, 'params')).resolves.toEqual({
      ok: false,
      errors: [
        { field: 'a', message: 'a must be an integer number', constraint: 'isInt' },
        { field: 'inner.city', message: 'city must be a string', constraint: 'isString' },
      ],
    });
  });

  it.each([
    [null, 'null'],
    [[1], 'an array'],
    [7, 'number'],
  ])('refuses a value that is not an object (%j)', async (value, got) => {
    await expect(checkSchema(Params, value, 'result')).resolves.toEqual({
      ok: false,
      errors: [{ field: '', message: `the result must be an object (Params), got ${got}`, constraint: 'isObject' }],
    });
  });
});

describe.each([
  ['zod 4', z],
  ['zod 3', z3 as unknown as typeof z],
])('checkSchema with a %s schema', (_api, zod) => {
  const schema = zod.strictObject({ a: zod.number(), inner: zod.object({ city: zod.string() }).optional(), n: zod.number().default(5) });

  it("resolves with zod's parsed value, synchronously", () => {
    expect(checkSchema(schema, { a: 1 }, 'params')).toEqual({ ok: true, value: { a: 1, n: 5 } });
  });

  it('maps issues to fields joined by dots, and names each unknown key', () => {
    const check = checkSchema(schema, { a: 'x', inner: { city: 1 }, b: 1, c: 2 }, 'params') as { ok: false; errors: Array<{ field: string; constraint: string }> };
    expect(check.ok).toBe(false);
    expect(check.errors.map(({ field, constraint }) => [field, constraint])).toEqual([
      ['a', 'invalid_type'],
      ['inner.city', 'invalid_type'],
      ['b', 'unrecognized_keys'],
      ['c', 'unrecognized_keys'],
    ]);
  });

  it('names a zod schema in messages', () => {
    expect(schemaName(schema)).toBe('zod schema');
    expect(schemaName(Params)).toBe('Params');
  });
});

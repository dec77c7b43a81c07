// Drives the Nest ClamatorClient against the `pyecho` service that test/interop/peer.py serves,
// printing one PASS/FAIL line per check. Run by test/interop/run.sh:
//   REDIS_URL=... CLAMATOR_PREFIX=... node --import ./scripts/register-ts.mjs test/interop/nest-client.ts
import 'reflect-metadata';
import { isDeepStrictEqual } from 'node:util';
import { lastValueFrom } from 'rxjs';
import { ClamatorClient, ClamatorRpcError } from '../../lib/index.js';

const redisUrl = process.env.REDIS_URL;
const keyPrefix = process.env.CLAMATOR_PREFIX;
if (!redisUrl || !keyPrefix) {
  console.error('nest-client.ts needs REDIS_URL and CLAMATOR_PREFIX');
  process.exit(2);
}

const client = new ClamatorClient({ keyPrefix, redisUrl, defaultTimeoutMs: 15_000 });
let failures = 0;

async function check(name: string, body: () => Promise<string | undefined>): Promise<void> {
  let problem: string | undefined;
  try {
    problem = await body();
  } catch (error) {
    problem = `threw ${(error as Error).name}: ${(error as Error).message}`;
  }
  if (problem) failures += 1;
  console.log(problem ? `FAIL nest-client: ${name}: ${problem}` : `PASS nest-client: ${name}`);
}

/** What a call rejected with, or a description of the surprise when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    return `resolved with ${JSON.stringify(await promise)}`;
  } catch (error) {
    return error;
  }
}

function expectRpcError(error: unknown, code: number, message?: string, data?: unknown): string | undefined {
  if (!(error instanceof ClamatorRpcError)) return `expected ClamatorRpcError, got ${String(error)}`;
  if (error.code !== code) return `expected code ${code}, got ${error.code} (${error.message})`;
  if (message !== undefined && error.message !== message) return `expected message ${JSON.stringify(message)}, got ${JSON.stringify(error.message)}`;
  if (data !== undefined && !isDeepStrictEqual(error.data, data)) return `expected data ${JSON.stringify(data)}, got ${JSON.stringify(error.data)}`;
  return undefined;
}

const payload = { text: 'héllo ✓ "quoted" \\ back', n: 42, float: 0.5, nested: { list: [1, 'two', null, true] }, empty: {} };

await check('call pyecho.echo returns the params unchanged (unicode, nesting, null)', async () => {
  const result = await client.call('pyecho', 'echo', payload);
  return isDeepStrictEqual(result, payload) ? undefined : `got ${JSON.stringify(result)}`;
});

await check("send('pyecho.echo') through Nest's ClientProxy API", async () => {
  const result = await lastValueFrom(client.send('pyecho.echo', { via: 'send' }));
  return isDeepStrictEqual(result, { via: 'send' }) ? undefined : `got ${JSON.stringify(result)}`;
});

await check('pyecho.fail rejects with the application error -32042 and its data', async () =>
  expectRpcError(await rejection(client.call('pyecho', 'fail', { why: 'test' })), -32042, 'pyecho failed on purpose', { got: { why: 'test' } }),
);

await check('an unknown pyecho method rejects with -32601', async () =>
  expectRpcError(await rejection(client.call('pyecho', 'missing', {})), -32601, 'Method not found', null),
);

await check('notify pyecho.note is handled before the next call', async () => {
  await client.notify('pyecho', 'note', { text: 'noted ✓' });
  const notes = await client.call('pyecho', 'notes');
  return isDeepStrictEqual(notes, [{ text: 'noted ✓' }]) ? undefined : `got ${JSON.stringify(notes)}`;
});

await client.close();
process.exit(failures === 0 ? 0 : 1);

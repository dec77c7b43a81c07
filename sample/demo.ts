// `npm run demo`: starts the arith microservice and the HTTP gateway as two processes talking
// through Redis streams, sends a few HTTP requests through the gateway, prints what came back,
// and stops everything. First it prints the Python module the arith contract generates (the
// sibling a clamator-over-redis peer imports). Exits 0 when every answer was the expected one, 1 otherwise.
//
// Redis: the one at $REDIS_URL (default redis://127.0.0.1:6379) when it answers PING; otherwise a
// throwaway redis-server (no persistence) on a free port, stopped at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { arith } from './arith/arith.contract.js';
import { showGeneratedPython } from './contracts/generate.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const registerTs = fileURLToPath(new URL('../scripts/register-ts.mjs', import.meta.url));
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');

/** Something started for the demo, stopped at the end in reverse order. */
interface Started {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const started: Started[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function answersPing(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Waits for a child to exit; resolves at once if it already has. */
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited.then(() => 'exited'), sleep(graceMs).then(() => 'late')]);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** The Redis to use: `$REDIS_URL` (or the default) when it answers, else a redis-server of our own. */
async function useRedis(): Promise<{ url: string; own: boolean }> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await answersPing(url)) return { url, own: false };
  console.log(dim(`No Redis answers at ${url}; starting a redis-server for this demo.`));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`Could not start redis-server: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before answering`)));
  });
  failed.catch(() => undefined);
  started.push({ name: 'redis-server', child, stop: () => terminate(child, 5000) });
  const ownUrl = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([answersPing(ownUrl), failed]))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await sleep(50);
  }
  return { url: ownUrl, own: true };
}

/**
 * Starts `node --import scripts/register-ts.mjs <script>`, prints its output prefixed with `name`,
 * and resolves once it printed a line matching `ready`.
 */
async function startNode(name: string, script: string, env: Record<string, string>, ready: RegExp): Promise<void> {
  const child = spawn(process.execPath, ['--import', registerTs, script], {
    cwd: root,
    env: { ...process.env, ...env, ...(color ? {} : { NO_COLOR: '1' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stopping = false;
  started.push({
    name,
    child,
    stop: async () => {
      stopping = true;
      await terminate(child, 15_000);
    },
  });
  const label = dim(`${name.padEnd(7)} |`);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready within 60 s`)), 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(`${label} ${line}`);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once('error', (error) => reject(error));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!stopping) {
        unexpected.push(`${name} exited on its own (code ${code}, signal ${signal})`);
        reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      }
    });
  });
}

/** Problems seen outside the steps (a process that died). */
const unexpected: string[] = [];

interface Step {
  title: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  status: number;
  /** Returns what is wrong with the body, or undefined when it is what the step expects. */
  check(body: any): string | undefined;
}

function sameJson(actual: unknown, expected: unknown): string | undefined {
  return JSON.stringify(actual) === JSON.stringify(expected) ? undefined : `expected ${JSON.stringify(expected)}`;
}

async function request(baseUrl: string, step: Pick<Step, 'method' | 'path' | 'body'>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${step.path}`, {
    method: step.method,
    headers: step.body === undefined ? {} : { 'content-type': 'application/json' },
    body: step.body === undefined ? undefined : JSON.stringify(step.body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: shown as text
  }
  return { status: response.status, body };
}

/** Runs one step, prints the exchange, and returns whether the answer was the expected one. */
async function run(baseUrl: string, step: Step, index: number): Promise<boolean> {
  console.log(`\n${bold(`${index}. ${step.title}`)}`);
  console.log(`   ${step.method} ${step.path}${step.body === undefined ? '' : ` ${JSON.stringify(step.body)}`}`);
  try {
    const { status, body } = await request(baseUrl, step);
    console.log(`   -> ${status} ${JSON.stringify(body)}`);
    const problem = status !== step.status ? `expected HTTP ${step.status}` : step.check(body);
    console.log(problem ? `   ${red(`UNEXPECTED: ${problem}`)}` : `   ${green('as expected')}`);
    return !problem;
  } catch (error) {
    console.log(`   ${red(`UNEXPECTED: ${(error as Error).message}`)}`);
    return false;
  }
}

/** Polls `GET /audit` until the service has handled the notification sent with `action`. */
async function waitForAudit(baseUrl: string, action: string): Promise<boolean> {
  console.log(`\n${bold('5. The service handled the notification')} ${dim('(polling GET /audit)')}`);
  const deadline = Date.now() + 15_000;
  let last: { status: number; body: unknown } | undefined;
  while (Date.now() < deadline) {
    try {
      last = await request(baseUrl, { method: 'GET', path: '/audit' });
      const records = (last.body as { result?: Array<{ action?: string }> }).result;
      if (last.status === 200 && Array.isArray(records) && records.some((record) => record.action === action)) {
        console.log(`   GET /audit\n   -> ${last.status} ${JSON.stringify(last.body)}\n   ${green('as expected')}`);
        return true;
      }
    } catch {
      // retried until the deadline
    }
    await sleep(100);
  }
  console.log(`   ${red(`UNEXPECTED: no audit record "${action}" within 15 s; last answer ${JSON.stringify(last)}`)}`);
  return false;
}

async function deleteKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function stopAll(): Promise<void> {
  for (const item of started.splice(0).reverse()) {
    await item.stop().catch((error: Error) => unexpected.push(`stopping ${item.name}: ${error.message}`));
  }
}

async function main(): Promise<number> {
  const redis = await useRedis();
  const keyPrefix = `clamator-demo:${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  console.log(`${bold('Redis')}      ${redis.url}${redis.own ? ' (started for this demo)' : ''}`);
  console.log(`${bold('Key prefix')} ${keyPrefix}`);
  console.log(`${bold('Gateway')}    ${baseUrl}\n`);

  // The contract both processes use is also the Python sibling's source: show what it generates.
  console.log(bold('The arith contract, as the Python module a clamator-over-redis peer imports'));
  console.log(dim('(sample/arith/arith.contract.ts; all of it: npm run demo:codegen)'));
  await showGeneratedPython(arith, { source: 'sample/arith/arith.contract.ts', maxLines: 40, print: (text) => console.log(dim(text)) });
  console.log();

  const env = { REDIS_URL: redis.url, CLAMATOR_PREFIX: keyPrefix };
  await Promise.all([
    startNode('arith', 'sample/arith/main.ts', env, /Arith microservice listening/),
    startNode('gateway', 'sample/gateway/main.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }, /Gateway listening/),
  ]);

  const action = `demo-run-${keyPrefix.slice(-8)}`;
  const steps: Step[] = [
    {
      title: 'A call that succeeds: arith.add',
      method: 'GET',
      path: '/add?a=2&b=3',
      status: 200,
      check: (body) => sameJson(body, { result: 5 }),
    },
    {
      title: 'An application error: arith.divide by zero (-32000 -> HTTP 422)',
      method: 'GET',
      path: '/divide?a=1&b=0',
      status: 422,
      check: (body) => sameJson(body, { code: -32000, message: 'division by zero', data: { a: 1 } }),
    },
    {
      title: "Invalid params: arith.add with a='x' (refused by the contract before sending, -32602 -> HTTP 400)",
      method: 'GET',
      path: '/add?a=x&b=3',
      status: 400,
      check: (body) =>
        body?.code === -32602 && Array.isArray(body?.data?.errors) && body.data.errors.some((error: { field?: string }) => error.field === 'a')
          ? undefined
          : 'expected code -32602 with an error about field "a"',
    },
    {
      title: 'A notification: arith.audit (HTTP 202 once queued)',
      method: 'POST',
      path: '/audit',
      body: { action, actor: 'npm run demo' },
      status: 202,
      check: (body) => sameJson(body, { queued: true }),
    },
  ];
  let passed = 0;
  let failed = 0;
  for (const [index, step] of steps.entries()) {
    if (await run(baseUrl, step, index + 1)) passed += 1;
    else failed += 1;
  }
  if (await waitForAudit(baseUrl, action)) passed += 1;
  else failed += 1;
  const more: Step[] = [
    {
      title: 'A slow call: arith.slow 300 ms',
      method: 'GET',
      path: '/slow?ms=300',
      status: 200,
      check: (body) => sameJson(body, { result: { sleptMs: 300 } }),
    },
    {
      title: 'A call that outlives its timeout: arith.slow 1500 ms with a 300 ms timeout (HTTP 504)',
      method: 'GET',
      path: '/slow?ms=1500&timeoutMs=300',
      status: 504,
      check: (body) => (typeof body?.message === 'string' && body.message.includes('arith.slow') ? undefined : 'expected a timeout message'),
    },
  ];
  for (const [index, step] of more.entries()) {
    if (await run(baseUrl, step, steps.length + 2 + index)) passed += 1;
    else failed += 1;
  }

  console.log(dim('\nStopping the gateway and the arith service (SIGTERM; they finish what they are handling first).'));
  await stopAll();
  if (!redis.own) await deleteKeys(redis.url, keyPrefix).catch((error: Error) => unexpected.push(`deleting demo keys: ${error.message}`));
  for (const problem of unexpected) console.log(red(`UNEXPECTED: ${problem}`));
  failed += unexpected.length;
  const summary = `demo: ${passed} as expected, ${failed} unexpected`;
  console.log(`\n${failed === 0 ? green(summary) : red(summary)}`);
  return failed === 0 ? 0 : 1;
}

// Whatever way the demo ends, nothing it started outlives it.
process.on('exit', () => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});
// Output piped into a reader that went away (`npm run demo | head`) must not skip the clean-up.
process.stdout.on('error', () => undefined);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(dim(`\n${signal}: stopping what the demo started.`));
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(red(`demo failed: ${(error as Error).stack ?? String(error)}`));
    await stopAll();
    process.exit(1);
  },
);

import { TsProcess } from '../utils/child-process.js';
import { OwnRedis, redisUrl, uniquePrefix } from '../utils/redis.js';
import { describeSettled, settleWithin, WorkerPool } from './fault-helpers.js';

const CLOSE_EXIT = 'test/e2e/fixtures/close-exit.main.ts';

/** How long after printing "closed" a process may take to exit: nothing of the transport may hold it (margin for a noisy machine). */
const EXIT_AFTER_CLOSE_MS = 5000;

describe('no timer or socket of the transport keeps a process alive after close', () => {
  const processes: TsProcess[] = [];
  let redis: OwnRedis | undefined;

  afterEach(async () => {
    try {
      for (const child of processes) child.kill('SIGKILL');
      await Promise.all(processes.splice(0).map((child) => child.exited));
    } finally {
      await redis?.kill();
      redis = undefined;
    }
  }, 30_000);

  function start(env: Record<string, string>): TsProcess {
    const child = new TsProcess(CLOSE_EXIT, env);
    processes.push(child);
    return child;
  }

  it('a process that served and called exits by itself soon after closing its server (blockMs 10000, shutdownGraceMs 20000) and client', async () => {
    const child = start({ REDIS_URL: redisUrl(), CLAMATOR_PREFIX: uniquePrefix('fault-exit') });
    await child.waitForLine(/^closed$/, 60_000);

    const exit = await settleWithin(child.exited, 12_000);

    expect(describeSettled(exit)).toMatch(/^resolved/);
    expect(exit.ms).toBeLessThan(EXIT_AFTER_CLOSE_MS);
    expect(child.lines.filter((line) => line.startsWith('close failed'))).toEqual([]);
    expect(exit.state === 'resolved' && exit.value.code).toBe(0);
  }, 90_000);

  it('a process whose Redis was killed before the close exits by itself within shutdownGraceMs + a few seconds', async () => {
    redis = await OwnRedis.start();
    const shutdownGraceMs = 3000;
    const child = start({
      REDIS_URL: redis.url,
      CLAMATOR_PREFIX: uniquePrefix('fault-exit-killed'),
      CLOSE_ON: 'SIGUSR2',
      SHUTDOWN_GRACE_MS: String(shutdownGraceMs),
    });
    await child.waitForLine(/^called 5$/, 60_000);
    await redis.kill();
    child.kill('SIGUSR2');

    // close() bounded by the grace + 2 s, then the exit itself.
    const exit = await settleWithin(child.exited, 20_000);

    expect({ exit: describeSettled(exit), printedClosed: child.lines.includes('closed') }).toEqual({
      exit: expect.stringMatching(/^resolved/),
      printedClosed: true,
    });
    expect(exit.ms).toBeLessThan(shutdownGraceMs + 2000 + EXIT_AFTER_CLOSE_MS);
  }, 90_000);
});

describe('SIGTERM during a Redis outage', () => {
  const pool = new WorkerPool();
  let redis: OwnRedis | undefined;

  afterEach(async () => {
    try {
      await pool.killAll();
    } finally {
      await redis?.kill();
      redis = undefined;
    }
  }, 30_000);

  it('a worker with shutdown hooks whose Redis was killed exits within shutdownGraceMs + a few seconds of SIGTERM', async () => {
    redis = await OwnRedis.start();
    const shutdownGraceMs = 2000;
    const worker = await pool.start({
      REDIS_URL: redis.url,
      CLAMATOR_PREFIX: uniquePrefix('fault-sigterm'),
      SHUTDOWN_GRACE_MS: shutdownGraceMs,
      BLOCK_MS: 10_000,
    });
    await redis.kill();
    await worker.waitForLine(/^status reconnecting$/, 10_000);
    worker.kill('SIGTERM');

    const exit = await settleWithin(worker.exited, 15_000);

    expect(describeSettled(exit)).toMatch(/^resolved/);
    expect(exit.ms).toBeLessThan(shutdownGraceMs + 5000);
  }, 60_000);
});

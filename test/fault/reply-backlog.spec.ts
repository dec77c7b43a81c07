import { ClamatorClient } from '../../lib/index.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { outcomeOf, WorkerPool } from './fault-helpers.js';

/** Runs `task(0..total-1)` with at most `lanes` in flight. */
async function inLanes(total: number, lanes: number, task: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

describe('a busy client with many replies waiting unread', () => {
  const connections = new TestConnections();
  const pool = new WorkerPool();
  let client: ClamatorClient | undefined;

  afterEach(async () => {
    try {
      await pool.killAll();
    } finally {
      await client?.close();
      client = undefined;
    }
  }, 30_000);
  afterAll(() => connections.closeAll());

  it('gets all 5000 answers right after its event loop was blocked for 1.5 s while the server wrote them, and its reply stream stays small', async () => {
    const keyPrefix = uniquePrefix('fault-backlog-replies');
    await pool.start({ REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, CONCURRENCY: 16 });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;
    await caller.call('work', 'add', { a: 0, b: 0 });

    const total = 5000;
    const tally = { answered: 0, wrong: 0, failed: 0 };
    const failures = new Map<string, number>();
    const calls = Array.from({ length: total }, (_, n) =>
      caller.call<{ sum: number }>('work', 'add', { a: n, b: 1 }, { timeoutMs: 30_000 }).then(
        ({ sum }) => {
          if (sum === n + 1) tally.answered += 1;
          else tally.wrong += 1;
        },
        (error: unknown) => {
          tally.failed += 1;
          failures.set(outcomeOf(error), (failures.get(outcomeOf(error)) ?? 0) + 1);
        },
      ),
    );
    await caller.streams.flushWrites();
    // Busy: replies pile up in the reply stream, unread.
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      // spin
    }

    // Bounded well below the calls' own 30 s timeout: lost replies show up as calls still unsettled.
    const settled = () => tally.answered + tally.wrong + tally.failed;
    await waitFor(() => settled() === total, 15_000, 'every call to settle').catch(() => undefined);
    expect({ ...tally, unsettled: total - settled(), failures: Object.fromEntries(failures) }).toEqual({
      answered: total,
      wrong: 0,
      failed: 0,
      unsettled: 0,
      failures: {},
    });
    await Promise.all(calls);

    // The client trims what it has read: its reply stream does not keep every reply.
    let wrong = 0;
    await inLanes(2000, 20, async (n) => {
      const { sum } = await caller.call<{ sum: number }>('work', 'add', { a: n, b: 2 }, { timeoutMs: 30_000 });
      if (sum !== n + 2) wrong += 1;
    });
    expect(wrong).toBe(0);
    const probe = connections.open();
    expect(await probe.xlen(caller.replyStream)).toBeLessThan(2000);
  }, 90_000);
});

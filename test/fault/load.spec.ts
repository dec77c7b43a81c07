import { ClamatorClient, ClamatorStreamsService } from '../../lib/index.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { counters, pendingCount, WorkerPool } from './fault-helpers.js';

/** Runs `task(0..total-1)` with at most `lanes` in flight. */
async function inLanes(total: number, lanes: number, task: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

describe('sustained load on two worker processes', () => {
  const connections = new TestConnections();
  const pool = new WorkerPool();
  let client: ClamatorClient | undefined;

  afterEach(async () => {
    await pool.killAll();
    await client?.close();
    client = undefined;
  });
  afterAll(() => connections.closeAll());

  it('answers 20 000 calls right, handles 5 000 notifications exactly once, and keeps the command stream trimmed', async () => {
    const keyPrefix = uniquePrefix('fault-load');
    const settings = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, CONCURRENCY: 32, MAINTENANCE_INTERVAL_MS: 200 };
    await Promise.all(['a', 'b'].map((id) => pool.start({ ...settings, INSTANCE_ID: id })));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;
    const calls = 20_000;
    const notifications = 5_000;
    const wrong: number[] = [];
    const byWorker = new Map<string, number>();

    await Promise.all([
      inLanes(calls, 200, async (n) => {
        const { sum, worker } = await caller.call<{ sum: number; worker: string }>('work', 'add', { a: n, b: 7 });
        if (sum !== n + 7) wrong.push(n);
        byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
      }),
      inLanes(notifications, 20, (n) => caller.notify('work', 'count', { n })),
    ]);

    expect(wrong).toEqual([]);
    expect([...byWorker.keys()].sort()).toEqual(['a', 'b']);
    expect((byWorker.get('a') ?? 0) + (byWorker.get('b') ?? 0)).toBe(calls);
    const probe = connections.open();
    const notifiedKey = `${keyPrefix}:test:notified`;
    await waitFor(async () => (await probe.hlen(notifiedKey)) === notifications, 30_000, 'every notification handled');
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'work')) === 0, 10_000, 'nothing pending');
    const notified = await counters(probe, notifiedKey);
    expect([...notified.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(new Set(notified.keys())).toEqual(new Set(Array.from({ length: notifications }, (_, n) => String(n))));
    // 25 000 entries went through the stream; trimming keeps at most a node or so of acknowledged ones.
    await waitFor(async () => (await probe.xlen(`${keyPrefix}:cmds:work`)) < 200, 10_000, 'the command stream trimmed');
  }, 120_000);
});

describe('trimming a long backlog', () => {
  const connections = new TestConnections();
  afterAll(() => connections.closeAll());

  it('one pass trims more acknowledged entries than a single approximate XTRIM may remove (10 000)', async () => {
    const keyPrefix = uniquePrefix('fault-backlog');
    const stream = `${keyPrefix}:cmds:backlog`;
    const probe = connections.open();
    await probe.xgroup('CREATE', stream, 'backlog', '$', 'MKSTREAM');
    const pipeline = probe.pipeline();
    for (let n = 0; n < 25_000; n += 1) pipeline.xadd(stream, '*', 'type', 'rpc', 'envelope', `{"jsonrpc":"2.0","method":"backlog.note","params":{"n":${n}}}`);
    await pipeline.exec();
    // A consumer reads and acknowledges everything, as a server under load would.
    const read = (await probe.xreadgroup('GROUP', 'backlog', 'backlog:w', 'COUNT', 25_000, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    const ids = read[0][1].map(([id]) => id);
    expect(ids).toHaveLength(25_000);
    await probe.xack(stream, 'backlog', ...ids);

    const streams = new ClamatorStreamsService({ keyPrefix, redisUrl: redisUrl() });
    try {
      const removed = await streams.trimAcknowledged('backlog');
      const left = await probe.xlen(stream);
      expect(removed + left).toBe(25_000);
      expect(left).toBeLessThan(200);
    } finally {
      await streams.close();
    }
  });
});

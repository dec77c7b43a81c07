import { ClamatorClient } from '../../lib/index.js';
import { delay, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { pendingCount, settleWithin, valueOf, WorkerPool } from './fault-helpers.js';

describe('a peer consumer with a shorter claim threshold', () => {
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

  it('reclaiming entries idle over 1 s every 200 ms never takes the entry of a handler still running, which runs once and is answered', async () => {
    const keyPrefix = uniquePrefix('fault-claim-peer');
    const stream = `${keyPrefix}:cmds:work`;
    // consumerClaimIdleMs left at its default (60000).
    const worker = await pool.start({ REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, INSTANCE_ID: 'w' });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const peer = connections.open();

    const call = settleWithin(client.call('work', 'slow', { ms: 4000 }, { timeoutMs: 30_000 }), 30_000);
    await worker.waitForLine(/^started 4000$/, 10_000);

    // The test plays a clamator peer in the same group whose claim threshold is 1 s.
    const taken: string[] = [];
    let claiming = true;
    const claimer = (async () => {
      while (claiming) {
        const [, entries] = (await peer.xautoclaim(stream, 'work', 'work:peer', 1000, '0-0', 'COUNT', 10)) as [string, [string, string[]][]];
        for (const [id] of entries) taken.push(id);
        await delay(200);
      }
    })();
    let answer: unknown;
    try {
      answer = valueOf(await call);
    } finally {
      claiming = false;
      await claimer;
    }

    expect(taken).toEqual([]);
    expect(answer).toEqual({ slept: 4000, worker: 'w' });
    expect(worker.lines.filter((line) => line === 'started 4000')).toHaveLength(1);
    await waitFor(async () => (await pendingCount(peer, keyPrefix, 'work')) === 0, 5000, 'nothing pending');
  }, 60_000);
});

import { ClamatorClient } from '../../lib/index.js';
import { TsProcess } from '../utils/child-process.js';
import { redisUrl, TestConnections, uniquePrefix } from '../utils/redis.js';

describe('SIGTERM on a real microservice process', () => {
  const connections = new TestConnections();
  afterAll(() => connections.closeAll());

  it('delivers the reply of the handler in flight and leaves nothing pending', async () => {
    const keyPrefix = uniquePrefix('sigterm');
    const worker = new TsProcess('test/e2e/fixtures/slow-worker.main.ts', { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    try {
      await worker.waitForLine(/^ready$/);
      const call = client.call<{ slept: number; pid: number }>('worker', 'sleep', { ms: 1000 }, { timeoutMs: 15_000 });
      await worker.waitForLine(/^started 1000$/);
      worker.kill('SIGTERM');
      await expect(call).resolves.toEqual({ slept: 1000, pid: worker.pid });
      const exit = await worker.exited;
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
      const probe = connections.open();
      const [pendingCount] = (await probe.xpending(`${keyPrefix}:cmds:worker`, 'worker')) as [number];
      expect(pendingCount).toBe(0);
    } finally {
      worker.kill('SIGKILL');
      await client.close();
    }
  }, 40_000);
});

import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { CallTraffic, describeSettled, pauseClients, settleWithin } from './fault-helpers.js';

/**
 * close() of server and client (so app.close()) settles within shutdownGraceMs + 2 s whatever
 * Redis does. blockMs 10000 makes a close that waits for a blocked read, or for a Redis that
 * does not answer, show up as "still pending" well before its read would end by itself.
 */
const SHUTDOWN_GRACE_MS = 1000;
const BLOCK_MS = 10_000;
const CLOSE_LIMIT_MS = SHUTDOWN_GRACE_MS + 5000;

let slowStarted = 0;

@Controller()
class BoundsController {
  @MessagePattern('bounds.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @MessagePattern('bounds.slow')
  async slow(@Payload() params: { ms: number }) {
    slowStarted += 1;
    await delay(params.ms);
    return params.ms;
  }
}

type Fault = 'up' | 'killed' | 'frozen' | 'paused';

/** What each fault does to the test's Redis, during traffic, just before the close. */
const INJECT: Record<Fault, (redis: OwnRedis) => Promise<void>> = {
  up: async () => undefined,
  killed: (redis) => redis.kill(),
  frozen: async (redis) => redis.signal('SIGSTOP'),
  // Longer than the close limit: a close that waits for Redis to answer cannot make it in time.
  paused: (redis) => pauseClients(redis.url, 10_000),
};

describe('close() of server and client settles within shutdownGraceMs + 2 s whatever Redis does', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  let traffic: CallTraffic | undefined;

  afterEach(async () => {
    try {
      // Whatever a dead, frozen or paused Redis left stuck is set free by a fresh Redis on the same port.
      if (redis) {
        await redis.kill();
        await redis.restart();
      }
      const closes = [app?.close(), client?.close(), traffic?.stop()];
      const settled = await settleWithin(Promise.allSettled(closes), 10_000);
      if (settled.state === 'hung') throw new Error('close() did not settle in cleanup');
    } finally {
      await redis?.kill();
      redis = app = client = traffic = undefined;
    }
  }, 40_000);

  it.each<[string, Fault]>([
    ['is up', 'up'],
    ['was killed (SIGKILL) during traffic', 'killed'],
    ['is frozen (SIGSTOP) during traffic', 'frozen'],
    ['paused its clients (CLIENT PAUSE 10000 ALL) during traffic', 'paused'],
  ])('app.close() and client.close(), with a handler outliving the grace, settle in time when Redis %s', async (_, fault) => {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-close');
    ({ app } = await startMicroservice([BoundsController], {
      keyPrefix,
      redisUrl: redis.url,
      blockMs: BLOCK_MS,
      shutdownGraceMs: SHUTDOWN_GRACE_MS,
      concurrency: 4,
    }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url, blockMs: BLOCK_MS });
    const caller = client;
    const calls = new CallTraffic(
      (n) => caller.call<number>('bounds', 'add', { a: n, b: 1 }, { timeoutMs: 2000 }).then((sum) => sum === n + 1),
      4,
    );
    traffic = calls;
    await waitFor(() => calls.count('ok') >= 20, 10_000, 'traffic');
    slowStarted = 0;
    void caller.call('bounds', 'slow', { ms: 4000 }, { timeoutMs: 30_000 }).catch(() => undefined);
    await waitFor(() => slowStarted === 1, 5000, 'the slow handler to start');

    await INJECT[fault](redis);
    // No new calls from here: a closed client would connect again for them.
    void calls.stop();
    const [serverClose, clientClose] = await Promise.all([
      settleWithin((app as INestMicroservice).close(), CLOSE_LIMIT_MS),
      settleWithin(caller.close(), CLOSE_LIMIT_MS),
    ]);

    expect({ server: describeSettled(serverClose), client: describeSettled(clientClose) }).toEqual({
      server: expect.stringMatching(/^(resolved|rejected)/),
      client: expect.stringMatching(/^(resolved|rejected)/),
    });
  }, 60_000);
});

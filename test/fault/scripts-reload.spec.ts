import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { ClamatorClient, type ClamatorServer, type ClamatorStatus } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { settleWithin, valueOf } from './fault-helpers.js';

/**
 * A Redis that lost its script cache (SCRIPT FLUSH, or a restart) must not hold replies back: with
 * blockMs 10000, a batch of replies that waits for the server's next blocking read to return is
 * answered ~10 s late. Every batch below must be answered far sooner.
 */
const BLOCK_MS = 10_000;
const PROMPT_MS = 4000;

@Controller()
class ScriptsController {
  @MessagePattern('scripts.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }
}

describe('replies after Redis lost its script cache', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let server: ClamatorServer | undefined;
  let client: ClamatorClient | undefined;
  let probe: Redis | undefined;

  afterEach(async () => {
    try {
      probe?.disconnect();
      const settled = await settleWithin(Promise.allSettled([client?.close(), app?.close()]), 15_000);
      if (settled.state === 'hung') throw new Error('close() did not settle in cleanup');
    } finally {
      await redis?.kill();
      redis = app = server = client = probe = undefined;
    }
  }, 30_000);

  async function start(): Promise<ClamatorClient> {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-scripts');
    ({ app, server } = await startMicroservice([ScriptsController], { keyPrefix, redisUrl: redis.url, blockMs: BLOCK_MS }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    probe = new Redis(redis.url);
    // Warm: the batching scripts are in Redis's cache.
    await batch(client, 0);
    return client;
  }

  /** 20 concurrent calls; resolves with their sums. */
  function batch(caller: ClamatorClient, from: number): Promise<number[]> {
    return Promise.all(Array.from({ length: 20 }, (_, i) => caller.call<number>('scripts', 'add', { a: from + i, b: 1 }, { timeoutMs: 30_000 })));
  }

  const sums = (from: number) => Array.from({ length: 20 }, (_, i) => from + i + 1);

  it('after SCRIPT FLUSH, a batch of 20 concurrent calls and then a lone call are answered promptly, far below blockMs', async () => {
    const caller = await start();
    const redisProbe = probe as Redis;

    await redisProbe.script('FLUSH');
    expect(valueOf(await settleWithin(batch(caller, 100), PROMPT_MS))).toEqual(sums(100));

    await redisProbe.script('FLUSH');
    expect(valueOf(await settleWithin(caller.call('scripts', 'add', { a: 41, b: 1 }, { timeoutMs: 30_000 }), PROMPT_MS))).toBe(42);
    // And once more, a batch after the lone call.
    expect(valueOf(await settleWithin(batch(caller, 200), PROMPT_MS))).toEqual(sums(200));
  }, 60_000);

  it('after Redis restarts empty, once server and client reconnected, a batch of 20 concurrent calls is answered within a few seconds, not after blockMs', async () => {
    const caller = await start();
    const statuses: ClamatorStatus[] = [];
    (server as ClamatorServer).status.subscribe((status) => statuses.push(status));
    const ownRedis = redis as OwnRedis;

    await ownRedis.kill();
    await ownRedis.restart();
    await waitFor(() => caller.unwrap<Redis>().status === 'ready', 15_000, 'the client to reconnect');
    await waitFor(() => statuses.includes('reconnecting') && statuses[statuses.length - 1] === 'connected', 15_000, 'the server to reconnect');

    expect(valueOf(await settleWithin(batch(caller, 100), PROMPT_MS + 1000))).toEqual(sums(100));
    expect(valueOf(await settleWithin(batch(caller, 200), PROMPT_MS))).toEqual(sums(200));
  }, 60_000);
});

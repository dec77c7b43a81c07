import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { type ClamatorContext, ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { fieldsOf, pendingCount, settleWithin, valueOf } from './fault-helpers.js';

/** Deliveries (ctx.getDeliveryCount()) of each run of `refuse.slow`, and how many runs finished. */
const slowRuns: number[] = [];
let slowFinished = 0;
/** Deliveries of each run of `refuse.mark`. */
const markRuns: number[] = [];

@Controller()
class RefuseController {
  @MessagePattern('refuse.slow')
  async slow(@Payload() params: { a: number; b: number; ms: number }, @Ctx() ctx: ClamatorContext) {
    slowRuns.push(ctx.getDeliveryCount());
    await delay(params.ms);
    slowFinished += 1;
    return { sum: params.a + params.b, delivery: ctx.getDeliveryCount() };
  }

  @MessagePattern('refuse.mark')
  mark(@Payload() params: Record<string, unknown>, @Ctx() ctx: ClamatorContext) {
    markRuns.push(ctx.getDeliveryCount());
    return params;
  }

  @MessagePattern('refuse.echo')
  echo(@Payload() params: Record<string, unknown>) {
    return params;
  }
}

/** True for Redis's refusal of a write over `maxmemory` with `noeviction`. */
function isOom(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('OOM');
}

/**
 * Puts Redis over `maxmemory` for good: writes 2 MiB of strings under `prefix`, then lowers
 * `maxmemory` to 256 KiB below what Redis then uses. Filling up to the limit instead leaves Redis
 * at its edge, where a write is refused or not depending on passing buffers. Checks that a small
 * write is refused, and returns the keys written: DEL them and Redis is well below the limit again.
 */
async function fillMemory(probe: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const chunk = 'x'.repeat(16 * 1024);
  for (let i = 0; i < 128; i += 1) {
    keys.push(`${prefix}:filler:${i}`);
    await probe.set(`${prefix}:filler:${i}`, chunk);
  }
  const used = Number(/used_memory:(\d+)/.exec(await probe.info('memory'))?.[1]);
  await probe.config('SET', 'maxmemory', String(used - 256 * 1024));
  const refused = await probe.set(`${prefix}:filler:probe`, '1').then(() => false, (error: unknown) => isOom(error));
  if (!refused) throw new Error(`Redis still takes writes with maxmemory ${used - 256 * 1024} (used_memory ${used})`);
  return keys;
}

describe('a reply that Redis refuses to write', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  let probe: Redis | undefined;

  afterEach(async () => {
    try {
      probe?.disconnect();
      await settleWithin(Promise.allSettled([client?.close(), app?.close()]), 10_000);
    } finally {
      await redis?.kill();
      redis = app = client = probe = undefined;
    }
  }, 30_000);

  it('over maxmemory (noeviction): the entry is not acknowledged, and once memory is freed it is delivered again and its caller answered', async () => {
    redis = await OwnRedis.start(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    const keyPrefix = uniquePrefix('fault-oom');
    ({ app } = await startMicroservice([RefuseController], { keyPrefix, redisUrl: redis.url, consumerClaimIdleMs: 500 }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    const caller = client;
    const redisProbe = (probe = new Redis(redis.url));
    await caller.call('refuse', 'echo', { warm: true });
    slowRuns.length = 0;
    slowFinished = 0;

    const call = settleWithin(caller.call<{ sum: number; delivery: number }>('refuse', 'slow', { a: 20, b: 22, ms: 1500 }, { timeoutMs: 30_000 }), 30_000);
    await waitFor(() => slowRuns.length === 1, 5000, 'the handler to start');
    const filler = await fillMemory(redisProbe, keyPrefix);
    if (slowFinished > 0) throw new Error('setup too slow: the handler finished before Redis memory was full');

    // Either the entry stays pending and is delivered again (its reply was refused, so it is not done),
    // or it was acknowledged although its answer is gone.
    await waitFor(
      async () => slowRuns.length >= 2 || (await pendingCount(redisProbe, keyPrefix, 'refuse')) === 0,
      15_000,
      'the entry to be delivered again or acknowledged',
    );
    expect({ pendingAfterRefusedReply: await pendingCount(redisProbe, keyPrefix, 'refuse') }).toEqual({ pendingAfterRefusedReply: 1 });

    await redisProbe.del(...filler);
    const answer = valueOf(await call);
    expect(answer.sum).toBe(42);
    // Answered by a later delivery: the entry came back after the refused reply.
    expect(answer.delivery).toBeGreaterThanOrEqual(2);
    expect(slowRuns[0]).toBe(1);
    await waitFor(async () => (await pendingCount(redisProbe, keyPrefix, 'refuse')) === 0, 10_000, 'nothing pending');
    await expect(caller.call('refuse', 'echo', { still: 'serving' }, { timeoutMs: 10_000 })).resolves.toEqual({ still: 'serving' });
  }, 60_000);

  it('to a reply-to that is not a stream (WRONGTYPE): the entry is redelivered, dead-lettered after maxDeliveries with the reason, then acknowledged, and the server keeps serving', async () => {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-wrongtype');
    ({ app } = await startMicroservice([RefuseController], { keyPrefix, redisUrl: redis.url, maxDeliveries: 2, consumerClaimIdleMs: 500 }));
    const redisProbe = (probe = new Redis(redis.url));
    const badReplyTo = `${keyPrefix}:replies:bad`;
    const deadLetters = `${keyPrefix}:dead:refuse`;
    await redisProbe.set(badReplyTo, 'a string, not a stream');
    markRuns.length = 0;

    const envelope = JSON.stringify({ jsonrpc: '2.0', method: 'refuse.mark', params: { x: 1 }, id: 'bad-1' });
    const entryId = (await redisProbe.xadd(`${keyPrefix}:cmds:refuse`, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', badReplyTo)) as string;

    await waitFor(() => markRuns.length >= 1, 5000, 'the handler to run');
    await waitFor(() => markRuns.length >= 2, 8000, 'the entry whose reply was refused to be delivered again');
    await waitFor(async () => (await redisProbe.xlen(deadLetters)) > 0, 10_000, 'the entry in the dead-letter stream');
    const dead = (await redisProbe.xrange(deadLetters, '-', '+')) as [string, string[]][];
    expect(dead).toHaveLength(1);
    expect(fieldsOf(dead[0][1])).toMatchObject({ envelope, 'reply-to': badReplyTo, 'dead-entry-id': entryId, 'dead-reason': expect.stringMatching(/WRONGTYPE/) });
    await waitFor(async () => (await pendingCount(redisProbe, keyPrefix, 'refuse')) === 0, 10_000, 'the dead-lettered entry acknowledged');
    expect(markRuns).toEqual([1, 2]);
    expect(await redisProbe.type(badReplyTo)).toBe('string');

    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    await expect(client.call('refuse', 'echo', { still: 'serving' }, { timeoutMs: 10_000 })).resolves.toEqual({ still: 'serving' });
  }, 60_000);
});

/**
 * Injected ioredis connections speaking RESP2 and RESP3 (ioredis 6's `protocol` and
 * `replyMapping` options): every stream reply shape must parse, the reclaim path included, and
 * the injected connection must outlive the transport.
 */
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import type { Redis, RedisOptions } from 'ioredis';
import { ClamatorClient, ClamatorContext, ClamatorRpcError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { waitAllAcknowledged } from '../utils/raw-peer.js';
import { deleteKeys, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

const notes: unknown[] = [];

@Controller()
class RespController {
  @MessagePattern('resp.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @MessagePattern('resp.job')
  job(@Payload() params: unknown, @Ctx() context: ClamatorContext) {
    return { params, deliveryCount: context.getDeliveryCount(), consumer: context.getConsumer(), entryId: context.getEntryId() };
  }

  @MessagePattern('resp.refuse')
  refuse(): never {
    throw new RpcException({ code: -32001, message: 'Refused', data: { why: 'résumé' } });
  }

  @EventPattern<string>('resp.note')
  note(@Payload() params: unknown) {
    notes.push(params);
  }
}

/** Names of the Redis clients whose name starts with `prefix` (CLIENT LIST). */
async function clientNames(redis: Redis, prefix: string): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  return list
    .split('\n')
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(prefix));
}

const variants: Array<[string, RedisOptions]> = [
  ['RESP2 (protocol: 2)', { protocol: 2 }],
  ['RESP3 with the default reply mapping (protocol: 3)', { protocol: 3 }],
  ["RESP3 with replyMapping: 'resp3' (maps as objects)", { protocol: 3, replyMapping: 'resp3' }],
];

describe.each(variants)('injected connections, %s', (name, redisOptions) => {
  const keyPrefix = uniquePrefix(`resp-${redisOptions.protocol}-${redisOptions.replyMapping ?? 'default'}`);
  const serverId = `server-${keyPrefix.slice(-8)}`;
  const clientId = `client-${keyPrefix.slice(-8)}`;
  const connections = new TestConnections();
  const stream = `${keyPrefix}:cmds:resp`;
  let raw: Redis;
  let serverRedis: Redis;
  let clientRedis: Redis;
  let client: ClamatorClient;
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    raw = connections.open();
    serverRedis = connections.open(redisOptions);
    clientRedis = connections.open(redisOptions);
    await Promise.all([serverRedis.ping(), clientRedis.ping()]);
    expect(serverRedis.options.protocol).toBe(redisOptions.protocol);
    client = new ClamatorClient({ keyPrefix, redis: clientRedis, instanceId: clientId });
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await deleteKeys(raw, keyPrefix);
    await connections.closeAll();
  });

  it('reclaims the entry of a crashed consumer (XAUTOCLAIM, and XPENDING for its delivery count)', async () => {
    await raw.xgroup('CREATE', stream, 'resp', '$', 'MKSTREAM');
    const call = client.call('resp', 'job', { name });
    // Read by one consumer that dies, then claimed by another that dies too: delivered twice so far.
    const read = (await raw.xreadgroup('GROUP', 'resp', 'resp:dead', 'COUNT', 1, 'BLOCK', 5000, 'STREAMS', stream, '>')) as
      | [string, [string, string[]][]][]
      | null;
    const [[, [[entryId]]]] = read as [string, [string, string[]][]][];
    await raw.xclaim(stream, 'resp', 'resp:dead-too', 0, entryId);

    ({ app } = await startMicroservice([RespController], { keyPrefix, redis: serverRedis, instanceId: serverId, consumerClaimIdleMs: 1000 }));
    await expect(call).resolves.toEqual({ params: { name }, deliveryCount: 3, consumer: `resp:${serverId}`, entryId });
    await waitAllAcknowledged(raw, stream, 'resp');
  });

  it('carries calls, error replies and notifications end to end', async () => {
    await expect(client.call('resp', 'add', { a: 40, b: 2 })).resolves.toBe(42);
    const error = await client.call('resp', 'refuse').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error).toMatchObject({ code: -32001, message: 'Refused', data: { why: 'résumé' } });

    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call('resp', 'add', { a: i, b: i })));
    expect(calls).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));

    // A batch in which one entry cannot be written: the script's failure list parses in this protocol too.
    await raw.set(`${keyPrefix}:cmds:broken`, 'not a stream');
    const [good, bad] = await Promise.allSettled([client.call('resp', 'add', { a: 1, b: 2 }), client.call('broken', 'any')]);
    expect(good).toEqual({ status: 'fulfilled', value: 3 });
    expect(bad.status === 'rejected' && (bad.reason as Error).message).toMatch(/WRONGTYPE/);

    await client.notify('resp', 'note', { from: name });
    await waitFor(() => notes.some((note) => (note as { from: string }).from === name), 5000, 'the notification');
    await waitAllAcknowledged(raw, stream, 'resp');
  });

  it("leaves the injected connections open ('ready') after close(), and closes the ones it opened", async () => {
    const replyStream = client.replyStream;
    expect(await raw.exists(replyStream)).toBe(1);
    expect(await clientNames(raw, `clamator-server:${serverId}`)).not.toEqual([]);
    expect(await clientNames(raw, `clamator-client:${clientId}`)).not.toEqual([]);
    await client.close();
    await app?.close();
    app = undefined;

    expect(serverRedis.status).toBe('ready');
    expect(clientRedis.status).toBe('ready');
    await expect(serverRedis.ping()).resolves.toBe('PONG');
    await expect(clientRedis.ping()).resolves.toBe('PONG');
    expect(await raw.exists(replyStream)).toBe(0);
    // The blocking readers were duplicates the transport opened itself: they are gone.
    await waitFor(async () => (await clientNames(raw, `clamator-server:${serverId}`)).length === 0, 5000, 'server read connections to close');
    await waitFor(async () => (await clientNames(raw, `clamator-client:${clientId}`)).length === 0, 5000, 'client read connections to close');
  });
});

/**
 * Contracts written with zod in clamator's own shape (plain `{ service, methods }` objects), with the
 * zod 4 API (`zod`) and the zod 3 API (`zod/v3`), served with @ClamatorService and called with
 * client.for on real Redis.
 */
import type { INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { z as z4 } from 'zod';
import { z as z3 } from 'zod/v3';
import { ClamatorClient, ClamatorContext, ClamatorRpcError, ClamatorService, type ContractHandlers } from '../../lib/index.js';
import { zodContract, zodMethod, zodNotification } from '../utils/clamator-zod-contract.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { pythonJson, RawPeerServer, readEntries } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

const arith4 = zodContract('arith4', {
  add: zodMethod({
    params: z4.strictObject({ a: z4.number().int(), b: z4.number().int() }),
    result: z4.object({ sum: z4.number() }),
  }),
  greet: zodMethod({
    params: z4.object({ name: z4.string(), greeting: z4.string().default('hello') }),
    result: z4.object({ text: z4.string() }),
  }),
  ping: zodNotification({ params: z4.object({ tag: z4.string().optional() }) }),
});

const arith3 = zodContract('arith3', {
  add: zodMethod({
    params: z3.strictObject({ a: z3.number().int(), b: z3.number().int() }),
    result: z3.object({ sum: z3.number() }),
  }),
  greet: zodMethod({
    params: z3.object({ name: z3.string(), greeting: z3.string().default('hello') }),
    result: z3.object({ text: z3.string() }),
  }),
  ping: zodNotification({ params: z3.object({ tag: z3.string().optional() }) }),
});

const pings: Array<{ service: string; params: unknown }> = [];

@ClamatorService(arith4)
class Arith4Controller implements ContractHandlers<typeof arith4> {
  add({ a, b }: { a: number; b: number }) {
    return { sum: a + b };
  }

  async greet({ name, greeting }: { name: string; greeting: string }) {
    return { text: `${greeting}, ${name}` };
  }

  ping(params: { tag?: string }, ctx: ClamatorContext): void {
    pings.push({ service: ctx.getService(), params });
  }
}

@ClamatorService(arith3)
class Arith3Controller implements ContractHandlers<typeof arith3> {
  add({ a, b }: { a: number; b: number }) {
    return { sum: a + b };
  }

  greet({ name, greeting }: { name: string; greeting: string }) {
    return { text: `${greeting}, ${name}` };
  }

  ping(params: { tag?: string }, ctx: ClamatorContext): void {
    pings.push({ service: ctx.getService(), params });
  }
}

type Errors = { errors: Array<{ field: string; message: string; constraint: string }> };

describe.each([
  { api: 'zod 4 (zod)', contract: arith4 },
  { api: 'zod 3 (zod/v3)', contract: arith3 as unknown as typeof arith4 },
])('a zod contract, $api', ({ contract }) => {
  const keyPrefix = uniquePrefix(`contracts-${contract.service}`);
  const connections = new TestConnections();
  let redis: Redis;
  let app: INestMicroservice;
  let client: ClamatorClient;
  let peer: RawPeerServer;

  beforeAll(async () => {
    redis = connections.open();
    ({ app } = await startMicroservice([Arith4Controller, Arith3Controller], { keyPrefix, redisUrl: redisUrl() }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    // A peer serving the same contract under another service name, answering results that break it.
    peer = new RawPeerServer(connections.open(), connections.open(), keyPrefix, 'liar');
    await peer.createGroup();
    peer.serve(() => ({ result: { sum: 'three' } }));
  });

  afterAll(async () => {
    await client.close();
    await app.close();
    await peer.stop();
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  it('serves and calls methods, with zod defaults applied for the handler', async () => {
    const typed = client.for(contract);
    await expect(typed.add({ a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
    await expect(typed.greet({ name: 'Ada' })).resolves.toEqual({ text: 'hello, Ada' });
    await expect(typed.greet({ name: 'Ada', greeting: 'hi' }, { timeoutMs: 2000 })).resolves.toEqual({ text: 'hi, Ada' });
  });

  it('delivers notifications', async () => {
    await client.for(contract).ping({ tag: contract.service });
    await waitFor(() => pings.some((ping) => ping.service === contract.service), 5000, 'the ping');
    expect(pings.find((ping) => ping.service === contract.service)?.params).toEqual({ tag: contract.service });
  });

  it('answers bad raw params with -32602 naming each field, unknown keys of a strict object included', async () => {
    const replyTo = `${keyPrefix}:replies:raw`;
    const envelope = pythonJson({ jsonrpc: '2.0', method: `${contract.service}.add`, params: { a: 'x', b: 1.5, c: 1 }, id: 1 });
    await redis.xadd(`${keyPrefix}:cmds:${contract.service}`, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', replyTo);
    const [entry] = await readEntries(connections.open(), replyTo, 1);
    const reply = JSON.parse(entry.fields[entry.fields.indexOf('envelope') + 1]) as { error: { code: number; data: Errors } };
    expect(reply.error.code).toBe(-32602);
    const byField = Object.fromEntries(reply.error.data.errors.map((e) => [e.field, e.constraint]));
    expect(byField).toEqual({ a: 'invalid_type', b: expect.stringMatching(/^(invalid_type|too_small|not_integer)$/), c: 'unrecognized_keys' });
  });

  it('refuses invalid params at the client with -32602 before sending', async () => {
    const before = await redis.xlen(`${keyPrefix}:cmds:${contract.service}`);
    const error = (await client.for(contract).add({ a: 1, b: 'two' } as never).catch((e: unknown) => e)) as ClamatorRpcError;
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error.code).toBe(-32602);
    expect((error.data as Errors).errors.map((e) => e.field)).toEqual(['b']);
    expect(await redis.xlen(`${keyPrefix}:cmds:${contract.service}`)).toBe(before);
  });

  it('rejects a result that breaks the contract with -32603 and a reason', async () => {
    const liar = client.for({ service: 'liar', methods: contract.methods });
    const error = (await liar.add({ a: 1, b: 2 }).catch((e: unknown) => e)) as ClamatorRpcError;
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error.code).toBe(-32603);
    expect(error.data).toMatchObject({
      reason: "the result of liar.add does not match the contract's result (zod schema)",
      errors: [{ field: 'sum', constraint: 'invalid_type' }],
    });
  });
});

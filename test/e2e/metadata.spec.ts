/**
 * Metadata on real Redis: through call()/notify() options, the record builder with send()/emit(),
 * and Nest 12's dispatch hook; on the wire as one extra `metadata` field (plain XADD and batch
 * script alike); entries without it (every other peer) and with bad metadata still handled.
 * Nest 12's processing hooks run once per delivery.
 */
import { jest } from '@jest/globals';
import { Controller, Logger } from '@nestjs/common';
import { ClientProxy, Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  ClamatorClient,
  ClamatorContext,
  ClamatorRecordBuilder,
  type ClamatorServer,
  ClamatorTimeoutError,
} from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { fieldsOf } from '../fault/fault-helpers.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

const seen: Array<{ method: string; metadata: unknown }> = [];

@Controller()
class MetaController {
  @MessagePattern('meta.echo')
  echo(@Payload() params: unknown, @Ctx() ctx: ClamatorContext) {
    seen.push({ method: 'echo', metadata: ctx.getMetadata() });
    return { params, metadata: ctx.getMetadata() ?? null };
  }

  @MessagePattern('meta.slow')
  async slow(@Payload() { ms }: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }

  @MessagePattern('meta.fail')
  fail(): never {
    throw new Error('boom');
  }

  @EventPattern<string>('meta.note')
  note(@Payload() params: unknown, @Ctx() ctx: ClamatorContext) {
    seen.push({ method: 'note', metadata: ctx.getMetadata() });
  }
}

/** Nest 12's hooks, absent in Nest 11. */
type Hooked = { setOnDispatchHook?: (hook: (packet: { metadata?: Record<string, string> }) => void) => void };
type HookedServer = {
  setOnProcessingStartHook?: (hook: (transportId: unknown, context: unknown, done: () => Promise<unknown>) => unknown) => void;
  setOnProcessingEndHook?: (hook: (transportId: unknown, context: unknown) => void) => void;
};

describe('metadata', () => {
  const connections = new TestConnections();
  const keyPrefix = uniquePrefix('metadata');
  let app: Awaited<ReturnType<typeof startMicroservice>>['app'];
  let server: ClamatorServer;
  let client: ClamatorClient;
  let redis: Redis;

  beforeAll(async () => {
    ({ app, server } = await startMicroservice([MetaController], { keyPrefix, redisUrl: redisUrl() }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    redis = connections.open();
  });

  afterAll(async () => {
    await client.close();
    await app.close();
    await connections.closeAll();
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('reaches the handler from call() and notify() options; none means undefined', async () => {
    await expect(client.call('meta', 'echo', { a: 1 }, { metadata: { tenant: 't1' } })).resolves.toEqual({ params: { a: 1 }, metadata: { tenant: 't1' } });
    await expect(client.call('meta', 'echo', { a: 2 })).resolves.toEqual({ params: { a: 2 }, metadata: null });
    await client.notify('meta', 'note', {}, { metadata: { who: 'me' } });
    await waitFor(() => seen.some(({ method }) => method === 'note'), 5000, 'the notification');
    expect(seen.find(({ method }) => method === 'note')?.metadata).toEqual({ who: 'me' });
  });

  it('reaches it from send() and emit() with the record builder, whose timeout send() honours', async () => {
    const record = new ClamatorRecordBuilder({ a: 3 }).setMetadata({ tenant: 't2' }).build();
    await expect(firstValueFrom(client.send('meta.echo', record))).resolves.toEqual({ params: { a: 3 }, metadata: { tenant: 't2' } });
    await lastValueFrom(client.emit('meta.note', new ClamatorRecordBuilder({}).setMetadata({ via: 'emit' }).build()), { defaultValue: undefined });
    await waitFor(() => seen.some(({ method }) => method === 'note'), 5000, 'the notification');
    expect(seen.find(({ method }) => method === 'note')?.metadata).toEqual({ via: 'emit' });
    const slow = firstValueFrom(client.send('meta.slow', new ClamatorRecordBuilder({ ms: 1000 }).setTimeout(150).build()));
    await expect(slow).rejects.toBeInstanceOf(ClamatorTimeoutError);
    await expect(slow).rejects.toMatchObject({ timeoutMs: 150 });
  });

  // Nest 11 has neither the dispatch hook nor the processing hooks.
  const nest12 = typeof (ClientProxy.prototype as unknown as Hooked).setOnDispatchHook === 'function';

  (nest12 ? it : it.skip)("reaches it from Nest 12's dispatch hook, with a record's metadata over the hook's", async () => {
    const hooked = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    try {
      (hooked as unknown as Required<Hooked>).setOnDispatchHook((packet) => {
        packet.metadata = { trace: 'abc', tenant: 'from-hook' };
      });
      await expect(firstValueFrom(hooked.send('meta.echo', { a: 4 }))).resolves.toEqual({ params: { a: 4 }, metadata: { trace: 'abc', tenant: 'from-hook' } });
      const record = new ClamatorRecordBuilder({ a: 5 }).setMetadata({ tenant: 'from-record' }).build();
      await expect(firstValueFrom(hooked.send('meta.echo', record))).resolves.toEqual({
        params: { a: 5 },
        metadata: { trace: 'abc', tenant: 'from-record' },
      });
    } finally {
      await hooked.close();
    }
  });

  it('goes on the wire as one extra field after the usual ones, from a lone XADD and from the batch script alike', async () => {
    const quiet = uniquePrefix('metadata-wire');
    const writer = new ClamatorClient({ keyPrefix: quiet, redisUrl: redisUrl() });
    try {
      await writer.notify('nobody', 'note', { n: 0 }, { metadata: { k: 'lone' } });
      await Promise.all([1, 2, 3].map((n) => writer.notify('nobody', 'note', { n }, n === 2 ? undefined : { metadata: { k: `batch-${n}` } })));
      const entries = (await redis.xrange(`${quiet}:cmds:nobody`, '-', '+')) as [string, string[]][];
      expect(entries.map(([, fields]) => fields.filter((_, i) => i % 2 === 0))).toEqual([
        ['type', 'envelope', 'metadata'],
        ['type', 'envelope', 'metadata'],
        ['type', 'envelope'],
        ['type', 'envelope', 'metadata'],
      ]);
      expect(entries.map(([, fields]) => fieldsOf(fields).metadata)).toEqual(['{"k":"lone"}', '{"k":"batch-1"}', undefined, '{"k":"batch-3"}']);
    } finally {
      await writer.close();
    }
  });

  it('from the wire: an entry without it is handled with none, and one with bad metadata is handled with none and one rate-limited warning', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const stream = `${keyPrefix}:cmds:meta`;
      const note = JSON.stringify({ jsonrpc: '2.0', method: 'meta.note', params: {} });
      await redis.xadd(stream, '*', 'type', 'rpc', 'envelope', note);
      for (const bad of ['not json', '{"n":1}', '[]']) await redis.xadd(stream, '*', 'type', 'rpc', 'envelope', note, 'metadata', bad);
      await waitFor(() => seen.length === 4, 5000, 'the four notifications');
      expect(seen.map(({ metadata }) => metadata)).toEqual([undefined, undefined, undefined, undefined]);
      const warned = warnings.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('metadata of entry'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/is ignored: it is not JSON/);
    } finally {
      warnings.mockRestore();
    }
  });

  it('is refused at the caller when it is not an object of strings, and nothing is sent', async () => {
    await expect(client.call('meta', 'echo', {}, { metadata: { n: 1 } as unknown as Record<string, string> })).rejects.toThrow(TypeError);
    await expect(client.notify('meta', 'note', {}, { metadata: 'x' as unknown as Record<string, string> })).rejects.toThrow(/metadata of meta\.note/);
    expect(seen).toEqual([]);
  });

  (nest12 ? it : it.skip)("runs Nest 12's processing hooks once per delivery, with the ClamatorContext", async () => {
    const hooks = server as unknown as Required<HookedServer>;
    const started: unknown[] = [];
    const ended: unknown[] = [];
    hooks.setOnProcessingStartHook((_transport, context, done) => {
      started.push(context);
      return done();
    });
    hooks.setOnProcessingEndHook((_transport, context) => ended.push(context));
    try {
      await Promise.all([1, 2, 3].map((a) => client.call('meta', 'echo', { a })));
      await expect(client.call('meta', 'fail', {})).rejects.toMatchObject({ code: -32603 });
      await Promise.all([1, 2].map(() => client.notify('meta', 'note', {})));
      await waitFor(() => ended.length === 6, 5000, 'six end hooks');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(started).toHaveLength(6);
      expect(ended).toHaveLength(6);
      expect(started.every((context) => context instanceof ClamatorContext)).toBe(true);
      expect(new Set(ended)).toEqual(new Set(started));
    } finally {
      hooks.setOnProcessingStartHook((_transport, _context, done) => done());
      (hooks as { onProcessingEndHook?: unknown }).onProcessingEndHook = undefined;
    }
  });
});

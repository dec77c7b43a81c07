/**
 * ClamatorServer seen from the wire: entries are written with plain Redis commands exactly as
 * clamator's Python peer writes them, and the raw reply entries are read back with XREAD.
 */
import { randomUUID } from 'node:crypto';
import { Controller, type INestMicroservice, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import type { Redis } from 'ioredis';
import { ClamatorContext, ClamatorExceptionFilter, ClamatorRpcError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { allEntries, fieldOf, readEntries, type RawEntry, waitAllAcknowledged } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

class AddDto {
  @IsInt()
  a!: number;

  @IsInt()
  @Min(0)
  b!: number;

  @IsString()
  label!: string;
}

class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    message: string,
    readonly account: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const notes: unknown[] = [];

/** Service `arith`: no exception filter, so Nest's default RPC filter shapes what handlers throw. */
@Controller()
class ArithController {
  @MessagePattern('arith.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @MessagePattern('arith.echo')
  echo(@Payload() params: unknown, @Ctx() context: ClamatorContext) {
    return { params, id: context.getId(), method: context.getMethod(), replyTo: context.getReplyTo() };
  }

  @MessagePattern('arith.nothing')
  nothing(): void {}

  @MessagePattern('arith.fail')
  fail(): never {
    throw new TypeError('boom');
  }

  @MessagePattern('arith.validated')
  @UsePipes(new ValidationPipe())
  validated(@Payload() dto: AddDto) {
    return dto.a + dto.b;
  }

  @MessagePattern('arith.appError')
  appError(): never {
    throw new RpcException({ code: -32001, message: 'Insufficient funds', data: { balance: 3, needed: 5 } });
  }

  @MessagePattern('arith.rpcError')
  rpcError(): never {
    throw new ClamatorRpcError(-32042, 'Quota exceeded', { limit: 10, used: 12 });
  }

  @EventPattern<string>('arith.note')
  note(@Payload() params: unknown) {
    notes.push(params);
  }

  @EventPattern<string>('arith.explode')
  explode(): never {
    throw new Error('notification handler failed');
  }
}

/** Service `checked`: the same kinds of failure, through ClamatorExceptionFilter. */
@Controller()
@UseFilters(new ClamatorExceptionFilter())
class CheckedController {
  @MessagePattern('checked.validated')
  @UsePipes(new ValidationPipe())
  validated(@Payload() dto: AddDto) {
    return `${dto.label}=${dto.a + dto.b}`;
  }

  @MessagePattern('checked.fail')
  fail(): never {
    throw new TypeError('boom');
  }

  @MessagePattern('checked.failWithFields')
  failWithFields(): never {
    throw new LedgerError('ledger is locked', 'acc-1', false);
  }

  @MessagePattern('checked.appError')
  appError(): never {
    throw new RpcException({ code: -32001, message: 'Insufficient funds', data: { balance: 3, needed: 5 } });
  }

  @MessagePattern('checked.rpcError')
  rpcError(): never {
    throw new ClamatorRpcError(-32042, 'Quota exceeded', { limit: 10, used: 12 });
  }

  @MessagePattern('checked.rpcErrorNoData')
  rpcErrorNoData(): never {
    throw new ClamatorRpcError(-32099, 'Maintenance');
  }
}

describe('ClamatorServer on the wire (raw entries in, raw replies out)', () => {
  const keyPrefix = uniquePrefix('wire-server');
  const connections = new TestConnections();
  let app: INestMicroservice;
  let redis: Redis;
  let blocking: Redis;

  const commandStream = (service: string) => `${keyPrefix}:cmds:${service}`;
  const newReplyStream = () => `${keyPrefix}:replies:${randomUUID()}`;
  /** The fields of a request, in the order the Python peer writes them. */
  const requestFields = (envelope: string, replyTo: string) => ['type', 'rpc', 'envelope', envelope, 'reply-to', replyTo];

  /** XADDs one raw request and returns its one raw reply. */
  async function exchange(service: string, envelope: string): Promise<RawEntry> {
    const replyTo = newReplyStream();
    await redis.xadd(commandStream(service), '*', ...requestFields(envelope, replyTo));
    const [reply] = await readEntries(blocking, replyTo, 1);
    return reply;
  }

  /** The parsed envelope of the one reply to a raw request. */
  async function replyTo(service: string, envelope: string): Promise<Record<string, unknown>> {
    const reply = await exchange(service, envelope);
    return JSON.parse(fieldOf(reply, 'envelope') as string) as Record<string, unknown>;
  }

  beforeAll(async () => {
    redis = connections.open();
    blocking = connections.open();
    // The existing peers' reply cap (ours defaults far higher), so that the trimming test below can show it.
    ({ app } = await startMicroservice([ArithController, CheckedController], { keyPrefix, redisUrl: redisUrl(), replyStreamMaxLen: 1024 }));
  });

  afterAll(async () => {
    await app?.close();
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  describe('requests as the Python peer writes them', () => {
    it('answers a spaced-JSON request with an integer id with a reply entry `type rpc envelope <json>` echoing the integer id', async () => {
      const replyStream = newReplyStream();
      await redis.xadd(
        commandStream('arith'), '*',
        ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 1, "b": 2}, "id": 7}', replyStream),
      );
      const [reply] = await readEntries(blocking, replyStream, 1);

      expect(reply.fields).toEqual(['type', 'rpc', 'envelope', expect.any(String)]);
      expect(JSON.parse(fieldOf(reply, 'envelope') as string)).toStrictEqual({ jsonrpc: '2.0', id: 7, result: 3 });
    });

    it('gives the reply stream an expiry (PTTL > 0) when it writes a reply', async () => {
      const replyStream = newReplyStream();
      await redis.xadd(
        commandStream('arith'), '*',
        ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 2, "b": 2}, "id": "ttl-1"}', replyStream),
      );
      await readEntries(blocking, replyStream, 1);

      const ttl = await redis.pttl(replyStream);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    });

    it('echoes a string id unchanged and decodes \\u00e9-style escaped unicode in params', async () => {
      const id = randomUUID();
      const envelope = String.raw`{"jsonrpc": "2.0", "method": "arith.echo", "params": {"name": "Ren\u00e9e \u2603 \ud83d\ude00"}, "id": "${id}"}`;
      const reply = await replyTo('arith', envelope);

      expect(reply).toStrictEqual({
        jsonrpc: '2.0',
        id,
        result: { params: { name: 'Renée ☃ 😀' }, id, method: 'echo', replyTo: expect.stringMatching(`^${keyPrefix}:replies:`) },
      });
    });

    it('reads entries whose fields come in another order, without `type`, or with unknown extra fields', async () => {
      const replyStream = newReplyStream();
      const envelope = (id: number) => `{"id": ${id}, "params": {"a": ${id}, "b": 10}, "method": "arith.add", "jsonrpc": "2.0"}`;
      const key = commandStream('arith');
      await redis.xadd(key, '*', 'reply-to', replyStream, 'envelope', envelope(1));
      await redis.xadd(key, '*', 'envelope', envelope(2), 'traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'reply-to', replyStream, 'type', 'rpc');
      await redis.xadd(key, '*', 'x-origin', 'python', 'type', 'rpc', 'envelope', envelope(3), 'reply-to', replyStream, 'x-tenant', 't1');

      const replies = await readEntries(blocking, replyStream, 3);
      expect(replies.map((reply) => JSON.parse(fieldOf(reply, 'envelope') as string))).toStrictEqual([
        { jsonrpc: '2.0', id: 1, result: 11 },
        { jsonrpc: '2.0', id: 2, result: 12 },
        { jsonrpc: '2.0', id: 3, result: 13 },
      ]);
    });

    it('treats missing or null params as {}', async () => {
      await expect(replyTo('arith', '{"jsonrpc": "2.0", "method": "arith.echo", "id": 31}')).resolves.toMatchObject({
        id: 31,
        result: { params: {} },
      });
      await expect(replyTo('arith', '{"jsonrpc": "2.0", "method": "arith.echo", "params": null, "id": 32}')).resolves.toMatchObject({
        id: 32,
        result: { params: {} },
      });
    });

    it('replies `result: null` (present, not omitted) when the handler returns nothing', async () => {
      const reply = await exchange('arith', '{"jsonrpc": "2.0", "method": "arith.nothing", "params": {}, "id": 41}');
      const raw = fieldOf(reply, 'envelope') as string;
      expect(JSON.parse(raw)).toStrictEqual({ jsonrpc: '2.0', id: 41, result: null });
    });

    it('writes replies with `XADD <reply-to> MAXLEN ~ 1024 * type rpc envelope <json>`, trimming a long reply stream', async () => {
      const replyStream = newReplyStream();
      const filler = redis.pipeline();
      for (let i = 0; i < 2000; i++) filler.xadd(replyStream, '*', 'filler', String(i));
      await filler.exec();
      const [lastFiller] = (await redis.xrevrange(replyStream, '+', '-', 'COUNT', 1)) as [string, string[]][];

      const monitor = await connections.open().monitor();
      const replyWrites: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toLowerCase() === 'xadd' && args[1] === replyStream) replyWrites.push(args);
      });
      try {
        await redis.xadd(
          commandStream('arith'), '*',
          ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 20, "b": 22}, "id": 51}', replyStream),
        );
        const [reply] = await readEntries(blocking, replyStream, 1, lastFiller[0]);
        expect(JSON.parse(fieldOf(reply, 'envelope') as string)).toStrictEqual({ jsonrpc: '2.0', id: 51, result: 42 });
        // The monitor feed arrives on its own connection, maybe after the reply was read.
        await waitFor(() => replyWrites.length > 0, 5000, 'MONITOR to report the reply XADD');
      } finally {
        monitor.disconnect();
      }

      expect(replyWrites).toHaveLength(1);
      const [command, key, ...args] = replyWrites[0];
      expect([command.toLowerCase(), key]).toEqual(['xadd', replyStream]);
      expect(args).toEqual(['MAXLEN', '~', '1024', '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","id":51,"result":42}']);
      // Approximate trimming drops whole stream nodes: about 1024 entries are left of the 2001.
      const length = await redis.xlen(replyStream);
      expect(length).toBeGreaterThanOrEqual(1024);
      expect(length).toBeLessThan(1500);
    });
  });

  describe('integer ids beyond 2^53, echoed exactly as written', () => {
    const bigIds = ['12345678901234567890', '-98765432109876543210'];
    /** The raw `envelope` field of the one reply to a raw request. */
    const rawReply = async (service: string, envelope: string) => fieldOf(await exchange(service, envelope), 'envelope') as string;

    it('in a result reply', async () => {
      for (const id of bigIds) {
        const raw = await rawReply('arith', `{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 1, "b": 2, "id": 5}, "id": ${id}}`);
        expect(raw).toBe(`{"jsonrpc":"2.0","id":${id},"result":3}`);
      }
    });

    it('in a -32601 reply', async () => {
      for (const id of bigIds) {
        const raw = await rawReply('arith', `{"id": ${id}, "jsonrpc": "2.0", "method": "arith.missing", "params": {}}`);
        expect(raw).toContain(`"id":${id},`);
        expect(JSON.parse(raw)).toMatchObject({ error: { code: -32601, message: 'Method not found' } });
      }
    });

    it('in a handler error reply and a -32600 reply', async () => {
      const failed = await rawReply('checked', `{"jsonrpc": "2.0", "method": "checked.fail", "params": {}, "id": ${bigIds[0]}}`);
      expect(failed).toContain(`"id":${bigIds[0]},`);
      expect(JSON.parse(failed)).toMatchObject({ error: { code: -32603 } });
      const invalid = await rawReply('arith', `{"jsonrpc": "1.0", "method": "arith.add", "params": {}, "id": ${bigIds[1]}}`);
      expect(invalid).toContain(`"id":${bigIds[1]},`);
      expect(JSON.parse(invalid)).toMatchObject({ error: { code: -32600 } });
    });

    it('while the handler sees the nearest double through ctx.getId()', async () => {
      const raw = await rawReply('arith', `{"jsonrpc": "2.0", "method": "arith.echo", "params": {}, "id": ${bigIds[0]}}`);
      expect(raw.startsWith(`{"jsonrpc":"2.0","id":${bigIds[0]},"result":`)).toBe(true);
      expect((JSON.parse(raw) as { result: { id: unknown } }).result.id).toBe(Number(bigIds[0]));
    });
  });

  describe('error replies', () => {
    const errorOf = (reply: Record<string, unknown>) => reply.error as { code: number; message: string; data: unknown };

    it('-32700 Parse error with id null when the envelope is not JSON', async () => {
      for (const envelope of ['{"jsonrpc": "2.0", "method": "arith.add", "id": 9', 'not json at all']) {
        const reply = await replyTo('arith', envelope);
        expect(reply).toStrictEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error', data: expect.anything() } });
      }
    });

    it('-32600 Invalid Request with id null for a batch array', async () => {
      const reply = await replyTo('arith', '[{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 1, "b": 2}, "id": 1}]');
      expect(reply).toStrictEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request', data: expect.anything() } });
    });

    it('-32600 Invalid Request with the request id for a wrong or missing `jsonrpc`', async () => {
      for (const [envelope, id] of [
        ['{"jsonrpc": "1.0", "method": "arith.add", "params": {}, "id": 11}', 11],
        ['{"method": "arith.add", "params": {}, "id": "no-version"}', 'no-version'],
        ['{"jsonrpc": 2.0, "method": "arith.add", "params": {}, "id": 12}', 12],
      ] as const) {
        const reply = await replyTo('arith', envelope);
        expect(reply).toStrictEqual({ jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request', data: expect.anything() } });
      }
    });

    it('-32600 Invalid Request with the request id for a badly formed method', async () => {
      const methods = ['arith', 'Arith.add', 'arith.Add', 'arith.', '.add', 'arith.add_x', 'ari th.add', ''];
      for (const [index, method] of methods.entries()) {
        const reply = await replyTo('arith', `{"jsonrpc": "2.0", "method": ${JSON.stringify(method)}, "params": {}, "id": ${100 + index}}`);
        expect(reply).toStrictEqual({ jsonrpc: '2.0', id: 100 + index, error: { code: -32600, message: 'Invalid Request', data: expect.anything() } });
      }
      const notAString = await replyTo('arith', '{"jsonrpc": "2.0", "method": 5, "params": {}, "id": 120}');
      expect(notAString).toMatchObject({ id: 120, error: { code: -32600, message: 'Invalid Request' } });
    });

    it('-32600 Invalid Request with id null when the id is neither a string nor an integer', async () => {
      for (const id of ['1.5', 'true', '{"n": 1}', '[1]']) {
        const reply = await replyTo('arith', `{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 1, "b": 2}, "id": ${id}}`);
        expect(reply).toStrictEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request', data: expect.anything() } });
      }
    });

    it('-32600 Invalid Request when the service in the envelope is not the service of the stream', async () => {
      const reply = await replyTo('arith', '{"jsonrpc": "2.0", "method": "checked.fail", "params": {}, "id": 13}');
      expect(reply).toStrictEqual({ jsonrpc: '2.0', id: 13, error: { code: -32600, message: 'Invalid Request', data: expect.anything() } });
    });

    it('-32601 Method not found for an unknown method, including a dashed name the Python peer allows', async () => {
      for (const method of ['subtract', 'do-thing']) {
        const reply = await replyTo('arith', `{"jsonrpc": "2.0", "method": "arith.${method}", "params": {}, "id": "m-${method}"}`);
        expect(reply).toStrictEqual({
          jsonrpc: '2.0',
          id: `m-${method}`,
          error: { code: -32601, message: 'Method not found', data: expect.anything() },
        });
      }
    });

    it('-32602 Invalid params when params is an array', async () => {
      const reply = await replyTo('arith', '{"jsonrpc": "2.0", "method": "arith.add", "params": [1, 2], "id": 14}');
      expect(reply).toStrictEqual({ jsonrpc: '2.0', id: 14, error: { code: -32602, message: 'Invalid params', data: expect.anything() } });
    });

    it('-32602 Invalid params from ValidationPipe + ClamatorExceptionFilter, with data naming each failing field', async () => {
      const reply = await replyTo('checked', '{"jsonrpc": "2.0", "method": "checked.validated", "params": {"a": "one", "b": -1, "label": "x"}, "id": 15}');
      expect(reply).toStrictEqual({
        jsonrpc: '2.0',
        id: 15,
        error: { code: -32602, message: 'Invalid params', data: { errors: expect.any(Array) } },
      });
      const { errors } = errorOf(reply).data as { errors: { field: string; message: string }[] };
      expect(new Set(errors.map((error) => error.field))).toEqual(new Set(['a', 'b']));
      for (const error of errors) expect(error.message).toEqual(expect.stringContaining(error.field));

      const valid = await replyTo('checked', '{"jsonrpc": "2.0", "method": "checked.validated", "params": {"a": 1, "b": 2, "label": "sum"}, "id": 16}');
      expect(valid).toStrictEqual({ jsonrpc: '2.0', id: 16, result: 'sum=3' });
    });

    it('-32603 Internal error with data {name, message} when a handler throws an Error (ClamatorExceptionFilter)', async () => {
      const reply = await replyTo('checked', '{"jsonrpc": "2.0", "method": "checked.fail", "params": {}, "id": 17}');
      expect(reply).toStrictEqual({
        jsonrpc: '2.0',
        id: 17,
        error: { code: -32603, message: 'Internal error', data: { name: 'TypeError', message: 'boom' } },
      });
    });

    it('-32603 data carries the simple own fields of the thrown error next to name and message', async () => {
      const reply = await replyTo('checked', '{"jsonrpc": "2.0", "method": "checked.failWithFields", "params": {}, "id": 18}');
      expect(reply).toStrictEqual({
        jsonrpc: '2.0',
        id: 18,
        error: {
          code: -32603,
          message: 'Internal error',
          data: { name: 'LedgerError', message: 'ledger is locked', account: 'acc-1', retryable: false },
        },
      });
    });

    it('-32603 Internal error, still well formed, from the output of Nest\'s default filter (no ClamatorExceptionFilter)', async () => {
      for (const [method, id] of [['fail', 19], ['validated', 20]] as const) {
        const params = method === 'validated' ? '{"a": "one", "b": 2, "label": "x"}' : '{}';
        const reply = await replyTo('arith', `{"jsonrpc": "2.0", "method": "arith.${method}", "params": ${params}, "id": ${id}}`);
        expect(reply).toStrictEqual({
          jsonrpc: '2.0',
          id,
          error: { code: -32603, message: 'Internal error', data: { name: expect.any(String), message: expect.any(String) } },
        });
      }
    });

    it('-32000..-32099 application error from RpcException({code, message, data}), with or without the filter', async () => {
      for (const service of ['arith', 'checked']) {
        const reply = await replyTo(service, `{"jsonrpc": "2.0", "method": "${service}.appError", "params": {}, "id": "app-${service}"}`);
        expect(reply).toStrictEqual({
          jsonrpc: '2.0',
          id: `app-${service}`,
          error: { code: -32001, message: 'Insufficient funds', data: { balance: 3, needed: 5 } },
        });
      }
    });

    it('-32000..-32099 application error from a ClamatorRpcError, with or without ClamatorExceptionFilter, `data` null when it has none', async () => {
      for (const service of ['arith', 'checked']) {
        const withData = await replyTo(service, `{"jsonrpc": "2.0", "method": "${service}.rpcError", "params": {}, "id": 21}`);
        expect(withData).toStrictEqual({
          jsonrpc: '2.0',
          id: 21,
          error: { code: -32042, message: 'Quota exceeded', data: { limit: 10, used: 12 } },
        });
      }
      const reply = await exchange('checked', '{"jsonrpc": "2.0", "method": "checked.rpcErrorNoData", "params": {}, "id": 22}');
      const raw = fieldOf(reply, 'envelope') as string;
      expect(JSON.parse(raw)).toStrictEqual({ jsonrpc: '2.0', id: 22, error: { code: -32099, message: 'Maintenance', data: null } });
    });
  });

  describe('entries that get no reply', () => {
    it('never replies to a well-formed notification, even for an unknown method or a failing handler', async () => {
      const replyStream = newReplyStream();
      const key = commandStream('arith');
      const before = notes.length;
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.nope", "params": {}}', replyStream));
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.explode", "params": {}, "id": null}', replyStream));
      await redis.xadd(key, '*', 'type', 'rpc', 'envelope', '{"jsonrpc": "2.0", "method": "arith.explode", "params": {}}');
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "checked.fail", "params": {}}', replyStream));
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": [1, 2]}', replyStream));
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.fail", "params": {}}', replyStream));
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.note", "params": {"text": "hi"}}', replyStream));
      // One service runs its entries one at a time in arrival order: once this reply exists, every entry above was handled.
      await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 0, "b": 1}, "id": "sentinel"}', replyStream));

      const [sentinel] = await readEntries(blocking, replyStream, 1);
      expect(JSON.parse(fieldOf(sentinel, 'envelope') as string)).toStrictEqual({ jsonrpc: '2.0', id: 'sentinel', result: 1 });
      expect(await allEntries(redis, replyStream)).toEqual([sentinel]);
      expect(notes.slice(before)).toEqual([{ text: 'hi' }]);
      await waitAllAcknowledged(redis, key, 'arith');
    });

    it('writes no reply anywhere for a reply-to outside `<prefix>:replies:`, and acknowledges the entry', async () => {
      const key = commandStream('arith');
      const outside = [`${keyPrefix}:victim`, `${keyPrefix}:replies:`, `other-${keyPrefix}:replies:x`, `${keyPrefix}:cmds:arith`, 'victim'];
      const written: string[] = [];
      for (const [index, target] of outside.entries()) {
        const envelope = `{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 1, "b": 1}, "id": ${200 + index}}`;
        written.push((await redis.xadd(key, '*', ...requestFields(envelope, target))) as string);
      }
      const replyStream = newReplyStream();
      written.push(
        (await redis.xadd(key, '*', ...requestFields('{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 0, "b": 0}, "id": "after"}', replyStream))) as string,
      );

      const [reply] = await readEntries(blocking, replyStream, 1);
      expect(JSON.parse(fieldOf(reply, 'envelope') as string)).toMatchObject({ id: 'after', result: 0 });
      for (const target of outside.filter((target) => target !== key)) {
        expect({ target, exists: await redis.exists(target) }).toEqual({ target, exists: 0 });
      }
      // Nothing was appended to the command stream itself (acknowledged entries may have been trimmed meanwhile).
      const commandEntries = (await redis.xrange(key, written[0], '+')).map(([id]) => id);
      expect(commandEntries.filter((id) => !written.includes(id))).toEqual([]);
      await waitAllAcknowledged(redis, key, 'arith');
      // Not dropped silently: each refused entry is kept in the dead-letter stream, with the reason.
      const dead = (await redis.xrange(`${keyPrefix}:dead:arith`, '-', '+')).map(([id, fields]) => ({ id, fields }) as RawEntry);
      const refused = dead.filter((entry) => written.slice(0, outside.length).includes(fieldOf(entry, 'dead-entry-id') as string));
      expect(refused).toHaveLength(outside.length);
      for (const entry of refused) {
        expect(fieldOf(entry, 'dead-reason')).toMatch(/reply-to is outside/);
        expect(outside).toContain(fieldOf(entry, 'reply-to'));
      }
    });
  });

  describe('a reply-to that is not valid UTF-8', () => {
    it('is dead-lettered and not run, while a reply-to holding a literal U+FFFD is served', async () => {
      const key = commandStream('arith');
      const replyPrefix = `${keyPrefix}:replies:`;
      const invalid = Buffer.concat([Buffer.from(replyPrefix), Buffer.from([0xff, 0xfe])]);
      const request = (id: string) => `{"jsonrpc": "2.0", "method": "arith.add", "params": {"a": 2, "b": 3}, "id": "${id}"}`;
      const noted = '{"jsonrpc": "2.0", "method": "arith.note", "params": {"utf8": "bad"}, "id": "bad-utf8"}';
      const badId = (await redis.xadd(key, '*', 'type', 'rpc', 'envelope', noted, 'reply-to', invalid)) as string;
      const literal = `${replyPrefix}\uFFFD-${randomUUID()}`;
      await redis.xadd(key, '*', ...requestFields(request('literal'), literal));

      // Entries of one service run in arrival order: once the literal one is answered, the bad one was handled.
      const [reply] = await readEntries(blocking, literal, 1);
      expect(JSON.parse(fieldOf(reply, 'envelope') as string)).toStrictEqual({ jsonrpc: '2.0', id: 'literal', result: 5 });
      await waitAllAcknowledged(redis, key, 'arith');

      expect(await redis.exists(`${replyPrefix}\uFFFD\uFFFD`)).toBe(0);
      expect(await redis.exists(invalid)).toBe(0);
      const dead = (await redis.xrange(`${keyPrefix}:dead:arith`, '-', '+')).map(([id, fields]) => ({ id, fields }) as RawEntry);
      const kept = dead.filter((entry) => fieldOf(entry, 'dead-entry-id') === badId);
      expect(kept).toHaveLength(1);
      expect(fieldOf(kept[0], 'dead-reason')).toMatch(/reply-to is not valid UTF-8/);
      expect(notes).not.toContainEqual({ utf8: 'bad' });
    });
  });

  describe('at the end', () => {
    it('has every entry written by these tests, good or bad, acknowledged (XPENDING 0)', async () => {
      for (const service of ['arith', 'checked']) {
        await waitAllAcknowledged(redis, commandStream(service), service);
      }
    });
  });
});

/**
 * ClamatorClient seen from the wire: the server side is a raw peer made of plain Redis commands
 * (XGROUP CREATE ... $ MKSTREAM, XREADGROUP, XADD ... MAXLEN ~ 1024, XACK), as clamator's Python
 * peer serves, and every request and notification the client writes is read back raw.
 */
import { lastValueFrom } from 'rxjs';
import type { Redis } from 'ioredis';
import { ClamatorClient, ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError } from '../../lib/index.js';
import { type RawAnswer, RawPeerServer, type RawRequest, waitAllAcknowledged } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ClamatorClient on the wire (answered by a raw Redis peer)', () => {
  const keyPrefix = uniquePrefix('wire-client');
  const connections = new TestConnections();
  let redis: Redis;
  let client: ClamatorClient;
  /** Serves `calc` in a loop; tests inspect `received`. */
  let calc: RawPeerServer;
  /** Requests `calc` holds unanswered, by method. */
  const held: RawRequest[] = [];

  const refusal = { code: -32001, message: 'Insufficient funds', data: { balance: 3, needed: 5 } };

  function answerCalc(request: RawRequest): RawAnswer | undefined | 'hold' {
    const params = request.envelope.params as Record<string, number>;
    switch (request.envelope.method) {
      case 'calc.add':
        return { result: params.a + params.b };
      case 'calc.greet':
        return { result: { text: `Grüß dich, ${String(params.name)} ☕`, nothing: null } };
      case 'calc.nothing':
        return { result: null };
      case 'calc.refuse':
        return { error: refusal };
      case 'calc.refuseWithoutData':
        return { error: { code: -32099, message: 'Maintenance', data: null } };
      case 'calc.refuseDataOmitted':
        return { error: { code: -32601, message: 'Method not found' } };
      case 'calc.slow':
      case 'calc.hold':
        held.push(request);
        return 'hold';
      default:
        return undefined; // notifications: acknowledged, no reply
    }
  }

  const lastReceived = (method: string) => [...calc.received].reverse().find((request) => request.envelope.method === method);

  beforeAll(async () => {
    redis = connections.open();
    calc = new RawPeerServer(redis, connections.open(), keyPrefix, 'calc');
    await calc.createGroup();
    calc.serve(answerCalc);
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  });

  afterAll(async () => {
    await client?.close();
    await calc?.stop();
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  describe('requests and replies', () => {
    it('writes `XADD <p>:cmds:<service> * type rpc envelope <json> reply-to <p>:replies:<instanceId>` and resolves call() with the result', async () => {
      await expect(client.call('calc', 'add', { a: 2, b: 3 })).resolves.toBe(5);

      const request = lastReceived('calc.add') as RawRequest;
      expect(client.replyStream).toBe(`${keyPrefix}:replies:${client.options.instanceId}`);
      expect(request.fields).toEqual(['type', 'rpc', 'envelope', request.rawEnvelope, 'reply-to', client.replyStream]);
      expect(request.envelope).toStrictEqual({ jsonrpc: '2.0', method: 'calc.add', params: { a: 2, b: 3 }, id: expect.stringMatching(UUID_V4) });
    });

    it('sends missing params as {} and resolves a spaced, \\u-escaped reply and a null result', async () => {
      await expect(client.call('calc', 'greet', { name: 'Zoë' })).resolves.toEqual({ text: 'Grüß dich, Zoë ☕', nothing: null });
      await expect(client.call('calc', 'nothing')).resolves.toBeNull();
      expect((lastReceived('calc.nothing') as RawRequest).envelope.params).toStrictEqual({});
    });

    it('rejects call() with a ClamatorRpcError carrying the code, message and data of an error reply', async () => {
      const error = await client.call('calc', 'refuse', {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClamatorRpcError);
      expect(error).toMatchObject({ name: 'ClamatorRpcError', ...refusal });

      await expect(client.call('calc', 'refuseWithoutData')).rejects.toMatchObject({ code: -32099, message: 'Maintenance', data: null });
      await expect(client.call('calc', 'refuseDataOmitted')).rejects.toMatchObject({ code: -32601, message: 'Method not found', data: null });
    });

    it('makes send() error with the very same error class and fields as call()', async () => {
      const viaCall = (await client.call('calc', 'refuse', {}).catch((caught: unknown) => caught)) as ClamatorRpcError;
      const viaSend = (await lastValueFrom(client.send('calc.refuse', {})).catch((caught: unknown) => caught)) as ClamatorRpcError;

      expect(viaSend).toBeInstanceOf(ClamatorRpcError);
      expect(Object.getPrototypeOf(viaSend)).toBe(Object.getPrototypeOf(viaCall));
      const fields = (error: ClamatorRpcError) => ({ name: error.name, code: error.code, message: error.message, data: error.data });
      expect(fields(viaSend)).toEqual(fields(viaCall));
      await expect(lastValueFrom(client.send('calc.add', { a: 4, b: 5 }))).resolves.toBe(9);
    });

    it('accepts `{ service, method }` object patterns in send() and emit()', async () => {
      await expect(lastValueFrom(client.send({ service: 'calc', method: 'add' }, { a: 10, b: 1 }))).resolves.toBe(11);
      expect((lastReceived('calc.add') as RawRequest).envelope).toMatchObject({ method: 'calc.add', params: { a: 10, b: 1 } });

      await lastValueFrom(client.emit({ service: 'calc', method: 'objectEvent' }, { n: 1 }), { defaultValue: undefined });
      await waitFor(() => lastReceived('calc.objectEvent') !== undefined, 5000, 'the event entry');
      expect((lastReceived('calc.objectEvent') as RawRequest).envelope).toStrictEqual({ jsonrpc: '2.0', method: 'calc.objectEvent', params: { n: 1 } });
    });
  });

  describe('notifications', () => {
    it('writes notify() and emit() as `type rpc envelope <json>` without reply-to, with an envelope without id', async () => {
      await client.notify('calc', 'logged', { line: 'ça va' });
      await client.notify('calc', 'pinged');
      await lastValueFrom(client.emit('calc.emitted', { level: 2 }), { defaultValue: undefined });
      await waitFor(() => lastReceived('calc.emitted') !== undefined, 5000, 'the three notification entries');

      const expected: Record<string, unknown> = {
        'calc.logged': { line: 'ça va' },
        'calc.pinged': {},
        'calc.emitted': { level: 2 },
      };
      for (const [method, params] of Object.entries(expected)) {
        const entry = lastReceived(method) as RawRequest;
        expect(entry.fields).toEqual(['type', 'rpc', 'envelope', entry.rawEnvelope]);
        expect(entry.replyTo).toBeUndefined();
        expect(entry.envelope).toStrictEqual({ jsonrpc: '2.0', method, params });
      }
    });
  });

  describe('validation at the client edge', () => {
    it('refuses bad service or method names, bad patterns and array params before anything reaches Redis', async () => {
      const before = await redis.xlen(calc.stream);
      const failures: unknown[] = [];
      const attempts: Array<() => Promise<unknown>> = [
        () => client.call('Calc', 'add', {}),
        () => client.call('calc', 'Add', {}),
        () => client.call('calc', 'add-x', {}),
        () => client.call('calc', 'add.more', {}),
        () => client.call('', 'add', {}),
        () => client.call('calc', 'add', [1, 2]),
        () => client.call('calc', 'add', {}, { timeoutMs: 0 }),
        () => client.notify('calc', 'bad_name', {}),
        () => client.notify('9calc', 'log', {}),
        () => lastValueFrom(client.send('calcadd', {})),
        () => lastValueFrom(client.send({ service: 'calc' }, {})),
        () => lastValueFrom(client.send('Calc.add', {})),
        () => lastValueFrom(client.emit('calc.Bad', {})),
      ];
      for (const attempt of attempts) failures.push(await attempt().then(() => 'resolved', (error: unknown) => error));

      for (const failure of failures) expect(failure).toBeInstanceOf(TypeError);
      expect(client.pendingCount).toBe(0);
      // A round trip after the attempts: had any of them been written, the raw peer would have read it first.
      await expect(client.call('calc', 'add', { a: 0, b: 0 })).resolves.toBe(0);
      expect(await redis.xlen(calc.stream)).toBe(before + 1);
      const created = await redis.keys(`${keyPrefix}:cmds:*`);
      expect(created).toEqual([calc.stream]);
    });
  });

  describe('timeouts', () => {
    it('rejects with ClamatorTimeoutError after the per-call timeoutMs, then drops the late reply silently', async () => {
      const problems: unknown[] = [];
      const record = (problem: unknown) => problems.push(problem);
      process.on('unhandledRejection', record);
      process.on('uncaughtException', record);
      try {
        const error = await client.call('calc', 'slow', { job: 1 }, { timeoutMs: 300 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ClamatorTimeoutError);
        expect(error).toMatchObject({ name: 'ClamatorTimeoutError', method: 'calc.slow', timeoutMs: 300 });
        expect(client.pendingCount).toBe(0);

        await waitFor(() => held.some((request) => request.envelope.method === 'calc.slow'), 5000, 'the raw peer to read the slow request');
        const late = held.find((request) => request.envelope.method === 'calc.slow') as RawRequest;
        await calc.answer(late, { result: 'too late' });
        // Replies are read in order: once this call resolves, the late reply before it was read and dropped.
        await expect(client.call('calc', 'add', { a: 1, b: 1 })).resolves.toBe(2);
        expect(client.pendingCount).toBe(0);
        expect(problems).toEqual([]);
      } finally {
        process.off('unhandledRejection', record);
        process.off('uncaughtException', record);
      }
    });
  });

  describe('correlation', () => {
    it('resolves 200 concurrent calls each with its own result when the raw peer answers them in shuffled order', async () => {
      const bulk = new RawPeerServer(redis, connections.open(), keyPrefix, 'bulk');
      await bulk.createGroup();
      const calls = Array.from({ length: 200 }, (_, n) => client.call<{ n: number; doubled: number }>('bulk', 'double', { n }));

      const requests = await bulk.readAtLeast(200);
      expect(new Set(requests.map((request) => request.envelope.id)).size).toBe(200);
      for (let i = requests.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [requests[i], requests[j]] = [requests[j], requests[i]];
      }
      for (const request of requests) {
        const { n } = request.envelope.params as { n: number };
        await bulk.answer(request, { result: { n, doubled: n * 2 } });
      }

      const results = await Promise.all(calls);
      expect(results).toEqual(Array.from({ length: 200 }, (_, n) => ({ n, doubled: n * 2 })));
      expect(client.pendingCount).toBe(0);
      await waitAllAcknowledged(redis, bulk.stream, 'bulk');
    });
  });

  describe('close()', () => {
    it('rejects calls in flight with ClamatorTransportError, deletes the reply stream, and is idempotent', async () => {
      const closing = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
      await expect(closing.call('calc', 'add', { a: 1, b: 2 })).resolves.toBe(3);
      expect(await redis.exists(closing.replyStream)).toBe(1);

      const heldBefore = held.length;
      const inFlight = [1, 2, 3].map((job) => closing.call('calc', 'hold', { job }).catch((caught: unknown) => caught));
      await waitFor(() => held.length === heldBefore + 3, 5000, 'the three requests to reach the raw peer');
      expect(closing.pendingCount).toBe(3);

      await Promise.all([closing.close(), closing.close()]);
      for (const error of await Promise.all(inFlight)) {
        expect(error).toBeInstanceOf(ClamatorTransportError);
        expect(error).toMatchObject({ name: 'ClamatorTransportError' });
      }
      expect(closing.pendingCount).toBe(0);
      expect(await redis.exists(closing.replyStream)).toBe(0);
      await expect(closing.close()).resolves.toBeUndefined();
    });
  });
});

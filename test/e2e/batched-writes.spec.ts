/**
 * Batched writes on real Redis: the requests and notifications a client sends in one tick, and the
 * replies and acknowledgements of a server's batch, each go in as one script call; the entries are
 * the same as lone XADDs write; a flushed script cache is recovered from; one write that fails is
 * reported for its own entry without losing the others.
 */
import { jest } from '@jest/globals';
import { Controller, type INestMicroservice, Logger } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { ClamatorClient, ClamatorStreamsService, ClamatorTransportError } from '../../lib/index.js';
import { APPEND_ENTRIES_SCRIPT } from '../../lib/streams/scripts/append-entries.script.js';
import { REPLY_AND_ACK_SCRIPT } from '../../lib/streams/scripts/reply-and-ack.script.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { allEntries, envelopeOf, readEntries, waitAllAcknowledged } from '../utils/raw-peer.js';
import { OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';

const noted: number[] = [];
const bulkNoted: number[] = [];

@Controller()
class BulkController {
  @EventPattern<string>('bulk.note')
  note(@Payload() { n }: { n: number }) {
    bulkNoted.push(n);
  }
}

@Controller()
class BatchController {
  @MessagePattern('batch.add')
  add(@Payload() { a, b }: { a: number; b: number }) {
    return a + b;
  }

  @EventPattern<string>('batch.note')
  note(@Payload() { n }: { n: number }) {
    noted.push(n);
  }
}

/** How often Redis ran `command` since the last CONFIG RESETSTAT (commands run by scripts count too). */
async function commandCalls(admin: Redis, command: string): Promise<number> {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info('commandstats'));
  return match ? Number(match[1]) : 0;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('batched writes', () => {
  const keyPrefix = uniquePrefix('batched');
  const commandStream = `${keyPrefix}:cmds:batch`;
  let redis: OwnRedis;
  let admin: Redis;
  let blocking: Redis;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  beforeAll(async () => {
    // A Redis of our own: the test resets its statistics and flushes its script cache.
    redis = await OwnRedis.start();
    admin = new Redis(redis.url);
    blocking = new Redis(redis.url);
    ({ app } = await startMicroservice([BatchController], {
      keyPrefix,
      redisUrl: redis.url,
      concurrency: 16,
      blockMs: 100,
      maintenanceIntervalMs: 600_000,
    }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    await client.call('batch', 'add', { a: 0, b: 0 });
  });

  afterAll(async () => {
    try {
      await client?.close();
      await app?.close();
      admin.disconnect();
      blocking.disconnect();
    } finally {
      await redis.kill();
    }
  });

  afterEach(() => jest.restoreAllMocks());

  it('sends the calls of one tick as one script call, and answers a read batch with few', async () => {
    const caller = client as ClamatorClient;
    await admin.config('RESETSTAT');
    const sums = await Promise.all(range(40).map((i) => caller.call<number>('batch', 'add', { a: i, b: 1 })));
    expect(sums).toEqual(range(40, 1));

    // 40 requests and 40 replies were written (XADDs run by scripts count), by far fewer commands.
    expect(await commandCalls(admin, 'xadd')).toBe(80);
    const scriptRuns = await commandCalls(admin, 'evalsha');
    expect(scriptRuns).toBeGreaterThanOrEqual(2);
    expect(scriptRuns).toBeLessThanOrEqual(12);
    await waitAllAcknowledged(admin, commandStream, 'batch');
  });

  it('writes each batched entry exactly as a lone XADD does, and refreshes the reply stream expiry', async () => {
    const caller = client as ClamatorClient;
    const before = await allEntries(admin, commandStream);
    await Promise.all([
      caller.call('batch', 'add', { a: 1, b: 2 }),
      caller.notify('batch', 'note', { n: 1 }),
      caller.call('batch', 'add', { a: 3, b: 4 }),
    ]);
    const written = (await allEntries(admin, commandStream)).slice(before.length);
    expect(written).toHaveLength(3);
    for (const entry of written) {
      const names = entry.fields.filter((_, i) => i % 2 === 0);
      const envelope = envelopeOf(entry);
      if (envelope.method === 'batch.add') {
        expect(names).toEqual(['type', 'envelope', 'reply-to']);
        expect(entry.fields[5]).toBe(caller.replyStream);
      } else {
        expect(envelope).toEqual({ jsonrpc: '2.0', method: 'batch.note', params: { n: 1 } });
        expect(names).toEqual(['type', 'envelope']);
      }
      expect(entry.fields[1]).toBe('rpc');
    }
    expect(written.filter((entry) => envelopeOf(entry).method === 'batch.add')).toHaveLength(2);

    const replies = await allEntries(admin, caller.replyStream);
    expect(replies.at(-1)?.fields.filter((_, i) => i % 2 === 0)).toEqual(['type', 'envelope']);
    const ttl = await admin.pttl(caller.replyStream);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('keeps answering after Redis lost its script cache (SCRIPT FLUSH)', async () => {
    const caller = client as ClamatorClient;
    await admin.script('FLUSH');
    noted.length = 0;
    const [sums] = await Promise.all([
      Promise.all(range(30).map((i) => caller.call<number>('batch', 'add', { a: i, b: 10 }))),
      Promise.all(range(10).map((n) => caller.notify('batch', 'note', { n }))),
    ]);
    expect(sums).toEqual(range(30, 10));
    await waitFor(() => noted.length === 10, 5000, 'the notifications');
    expect([...noted].sort((x, y) => x - y)).toEqual(range(10));
    expect(await admin.script('EXISTS', APPEND_ENTRIES_SCRIPT.sha, REPLY_AND_ACK_SCRIPT.sha)).toEqual([1, 1]);
    await waitAllAcknowledged(admin, commandStream, 'batch');
  });

  it('fails only the entry whose command stream cannot be written, not the others sent with it', async () => {
    const caller = client as ClamatorClient;
    await admin.set(`${keyPrefix}:cmds:broken`, 'not a stream');
    noted.length = 0;
    const outcomes = await Promise.allSettled([
      caller.call<number>('batch', 'add', { a: 1, b: 1 }),
      caller.call('broken', 'any', {}),
      caller.notify('batch', 'note', { n: 5 }),
      caller.notify('broken', 'any', {}),
      caller.call<number>('batch', 'add', { a: 2, b: 2 }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(outcomes[4]).toEqual({ status: 'fulfilled', value: 4 });
    for (const index of [1, 3]) {
      const { reason } = outcomes[index] as PromiseRejectedResult;
      expect(reason).toBeInstanceOf(ClamatorTransportError);
      expect((reason as Error).message).toMatch(/broken.any.*WRONGTYPE/);
    }
    await waitFor(() => noted.includes(5), 5000, 'the notification sent with the failed ones');
  });

  it('rejects a lone call whose command stream cannot be written (a plain XADD, no script)', async () => {
    const caller = client as ClamatorClient;
    await admin.set(`${keyPrefix}:cmds:alone`, 'not a stream');
    await admin.config('RESETSTAT');
    const error = await caller.call('alone', 'any', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect((error as Error).message).toMatch(/alone.any.*WRONGTYPE/);
    expect(await commandCalls(admin, 'evalsha')).toBe(0);
    await expect(caller.call<number>('batch', 'add', { a: 1, b: 1 })).resolves.toBe(2);
  });

  it('close() waits for requests and notifications still being written', async () => {
    const closing = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    await closing.connect();
    const before = await admin.xlen(commandStream);
    noted.length = 0;
    const notified = Promise.all([100, 101, 102].map((n) => closing.notify('batch', 'note', { n })));
    const called = closing.call('batch', 'add', { a: 1, b: 1 }).catch((error: Error) => error);
    await closing.close();
    // The call was cut off by close(), but every entry was written before the connection closed.
    await expect(notified).resolves.toEqual([undefined, undefined, undefined]);
    expect(await called).toBeInstanceOf(ClamatorTransportError);
    expect(await admin.xlen(commandStream)).toBeGreaterThanOrEqual(before + 4);
    await waitFor(() => [100, 101, 102].every((n) => noted.includes(n)), 5000, 'the notifications');
  });

  it('flushWrites() resolves once the entries queued in this tick are in Redis', async () => {
    const streams = new ClamatorStreamsService({ keyPrefix, redisUrl: redis.url });
    try {
      const stream = `${keyPrefix}:cmds:flushed`;
      const written = Promise.all(
        [1, 2, 3].map(
          (n) =>
            new Promise<void>((resolve, reject) =>
              streams.sendNotification('flushed', JSON.stringify({ jsonrpc: '2.0', method: 'flushed.n', params: { n } }), (error) =>
                error ? reject(error) : resolve(),
              ),
            ),
        ),
      );
      const settled: Array<Error | undefined> = [];
      streams.sendRequest('flushed', JSON.stringify({ jsonrpc: '2.0', method: 'flushed.r', params: {}, id: 'r1' }), `${keyPrefix}:replies:x`, (error) => settled.push(error));
      // Nothing has been sent yet: the batch leaves on the next tick, or now, when flushWrites() asks.
      await streams.flushWrites();
      expect(await admin.xlen(stream)).toBe(4);
      await expect(written).resolves.toHaveLength(3);
      // Settled once, without an error.
      expect(settled).toEqual([undefined]);
    } finally {
      await streams.close();
    }
  });

  it('reports a reply that cannot be written, leaves its entry pending and still delivers and acknowledges the other replies', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const taken = `${keyPrefix}:replies:taken`;
    const open = `${keyPrefix}:replies:open`;
    await admin.set(taken, 'not a stream');
    const request = (id: string, replyTo: string) => [
      'type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', method: 'batch.add', params: { a: 20, b: 22 }, id }), 'reply-to', replyTo,
    ];
    // Both in one write, so that one read and one reply batch take them.
    const written = (await admin.multi().xadd(commandStream, '*', ...request('to-taken', taken)).xadd(commandStream, '*', ...request('to-open', open)).exec()) as [
      Error | null,
      string,
    ][];
    const [toTaken, toOpen] = written.map(([, id]) => id);

    const [reply] = await readEntries(blocking, open, 1);
    expect(envelopeOf(reply)).toEqual({ jsonrpc: '2.0', id: 'to-open', result: 42 });
    await waitFor(() => errors.mock.calls.some(([message]) => /WRONGTYPE/.test(String(message))), 5000, 'the error logged');
    const logged = errors.mock.calls.map(([message]) => String(message)).find((message) => /WRONGTYPE/.test(message));
    expect(logged).toContain(toTaken);
    expect(await admin.get(taken)).toBe('not a stream');
    // Only the entry whose reply was refused is left pending, to be delivered again.
    const pending = (await admin.xpending(commandStream, 'batch', '-', '+', 10)) as [string, ...unknown[]][];
    expect(pending.map(([id]) => id)).toEqual([toTaken]);
    expect(pending.map(([id]) => id)).not.toContain(toOpen);
    await admin.xack(commandStream, 'batch', toTaken);
    errors.mockRestore();
  });

  it('sends the next requests of callers its replies resumed with the next read: one call after another costs Redis two socket reads each', async () => {
    const caller = client as ClamatorClient;
    await caller.call('batch', 'add', { a: 0, b: 0 });
    await admin.config('RESETSTAT');
    const calls = 200;
    for (let i = 0; i < calls; i += 1) expect(await caller.call<number>('batch', 'add', { a: i, b: 1 })).toBe(i + 1);
    const reads = Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);
    // Per call one write of the client (the request with its next XREAD) and one of the server (reply
    // and acknowledgement with its next XREADGROUP); a request sent on its own would make it three.
    expect(reads / calls).toBeLessThan(2.5);
    await waitAllAcknowledged(admin, commandStream, 'batch');
  });

  it('runs requests held for a read again on the command connection, not behind the blocked read, after Redis lost its script cache', async () => {
    const streams = new ClamatorStreamsService({ keyPrefix, redisUrl: redis.url });
    const reading = new Redis(redis.url);
    const stream = `${keyPrefix}:cmds:held`;
    const replyStream = `${keyPrefix}:replies:held`;
    const notify = (n: number) =>
      new Promise<void>((resolve, reject) =>
        streams.sendNotification('held', JSON.stringify({ jsonrpc: '2.0', method: 'held.n', params: { n } }), (error) => (error ? reject(error) : resolve())),
      );
    try {
      await notify(0);
      await reading.ping();
      await admin.script('FLUSH');
      await admin.config('RESETSTAT');
      streams.holdAppends();
      const written = Promise.all([1, 2, 3].map(notify));
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Held: nothing left on the next tick.
      expect(await admin.xlen(stream)).toBe(1);
      streams.releaseAppends();
      const read = streams.readReplies(reading, replyStream, '$', 10, 20_000);
      const outcome = await Promise.race([written.then(() => 'written'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
      expect(outcome).toBe('written');
      expect(await admin.xlen(stream)).toBe(4);
      // The script went with the read (EVALSHA, refused: NOSCRIPT) and ran from its body elsewhere (EVAL).
      expect(await commandCalls(admin, 'evalsha')).toBe(1);
      expect(await commandCalls(admin, 'eval')).toBe(1);
      await admin.xadd(replyStream, '*', 'type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', id: 'x', result: 1 }));
      await expect(read).resolves.toHaveLength(1);
    } finally {
      reading.disconnect();
      await streams.close();
    }
  });

  it('splits a huge batch into script calls of at most 512 entries, losing none', async () => {
    const caller = client as ClamatorClient;
    await admin.config('RESETSTAT');
    const sums = await Promise.all(range(1200).map((i) => caller.call<number>('batch', 'add', { a: i, b: 2 })));
    expect(sums).toEqual(range(1200, 2));
    expect(await commandCalls(admin, 'xadd')).toBe(2400);
    // The client's 1200 requests alone take three script calls.
    expect(await commandCalls(admin, 'evalsha')).toBeGreaterThanOrEqual(3);
    await waitAllAcknowledged(admin, commandStream, 'batch');
  });

  it('acknowledges a read of more entries than one XACK in the script takes', async () => {
    const bulkPrefix = uniquePrefix('batched-bulk');
    const stream = `${bulkPrefix}:cmds:bulk`;
    // The group exists before the entries, so that the server's first read takes 600 of them at once.
    await admin.xgroup('CREATE', stream, 'bulk', '$', 'MKSTREAM');
    const filling = admin.pipeline();
    for (const n of range(1100)) {
      filling.xadd(stream, '*', 'type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', method: 'bulk.note', params: { n } }));
    }
    await filling.exec();
    bulkNoted.length = 0;
    const bulk = await startMicroservice([BulkController], { keyPrefix: bulkPrefix, redisUrl: redis.url, readCount: 600, blockMs: 100 });
    try {
      await waitFor(() => bulkNoted.length === 1100, 10_000, 'every notification handled');
      await waitAllAcknowledged(admin, stream, 'bulk');
      expect(bulkNoted).toEqual(range(1100));
    } finally {
      await bulk.app.close();
    }
  });
});

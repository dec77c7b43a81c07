/**
 * The raw floor: clamator's wire (same keys, fields and JSON-RPC envelopes) written by hand on
 * ioredis with as little in between as possible. No Nest, no validation, no claim bookkeeping:
 * what is left is the Redis round trips and the JSON, which is what no transport can avoid.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** `[id, [field, value, ...]]` as XREAD / XREADGROUP return it (ioredis 6 "legacy" reply mapping, and ioredis 5). */
type RawEntry = [string, string[]];

function entriesOf(reply: unknown): RawEntry[] {
  if (reply === null || reply === undefined) return [];
  if (!Array.isArray(reply)) throw new Error(`raw floor: unexpected stream reply shape ${typeof reply}`);
  // One stream was read: [[key, entries]].
  return (reply[0] as [string, RawEntry[]])[1];
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Options of both raw endpoints. */
export interface RawOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly service: string;
}

/**
 * Raw server: one blocking connection reading batches with XREADGROUP, one connection writing
 * every batch's replies (XADD MAXLEN ~ 1024) and its XACK in one pipeline, not awaited before the
 * next read.
 */
export class RawServer {
  private readonly read: Redis;
  private readonly write: Redis;
  private readonly stream: string;
  private readonly group: string;
  private readonly consumer: string;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Notifications handled so far (none are sent in the bench; kept for symmetry). */
  handledEvents = 0;

  constructor(
    options: RawOptions,
    private readonly readCount = 64,
  ) {
    this.read = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.write = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.stream = `${options.keyPrefix}:cmds:${options.service}`;
    this.group = options.service;
    this.consumer = `${options.service}:${randomUUID()}`;
  }

  async start(): Promise<void> {
    try {
      await this.write.xgroup('CREATE', this.stream, this.group, '$', 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.startsWith('BUSYGROUP')) throw error;
    }
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.read.xreadgroup(
          'GROUP', this.group, this.consumer, 'COUNT', this.readCount, 'BLOCK', 1000, 'STREAMS', this.stream, '>',
        );
      } catch (error) {
        if (!this.running) return;
        throw error;
      }
      const entries = entriesOf(reply);
      if (entries.length === 0) continue;
      const pipeline = this.write.pipeline();
      const ids: string[] = [];
      for (const [entryId, fields] of entries) {
        ids.push(entryId);
        const request = JSON.parse(field(fields, 'envelope') as string) as { id?: string | number; params: { a: number; b: number } };
        const replyTo = field(fields, 'reply-to');
        if (replyTo === undefined || request.id === undefined || request.id === null) {
          this.handledEvents += 1;
          continue;
        }
        const envelope = JSON.stringify({ jsonrpc: '2.0', id: request.id, result: request.params.a + request.params.b });
        pipeline.xadd(replyTo, 'MAXLEN', '~', 1024, '*', 'type', 'rpc', 'envelope', envelope);
      }
      pipeline.xack(this.stream, this.group, ...ids);
      void pipeline.exec();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.read.disconnect();
    await this.loop?.catch(() => undefined);
    await this.write.quit().catch(() => undefined);
  }
}

interface Waiter {
  resolve: (value: number) => void;
  reject: (error: Error) => void;
}

/**
 * Raw client: XADDs requests on an auto-pipelined connection and reads its reply stream with
 * XREAD BLOCK on a second connection, settling calls by the JSON-RPC id.
 */
export class RawClient {
  private readonly write: Redis;
  private readonly read: Redis;
  private readonly stream: string;
  private readonly replyStream: string;
  private readonly waiting = new Map<string, Waiter>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(options: RawOptions) {
    this.write = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
    this.read = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.stream = `${options.keyPrefix}:cmds:${options.service}`;
    this.replyStream = `${options.keyPrefix}:replies:${randomUUID()}`;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Calls `<service>.add` and resolves with the sum. */
  add(a: number, b: number): Promise<number> {
    const id = randomUUID();
    const envelope = JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', params: { a, b }, id });
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.write.xadd(this.stream, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', this.replyStream).catch((error: Error) => {
        this.waiting.delete(id);
        reject(error);
      });
    });
  }

  private async run(): Promise<void> {
    let lastId = '0-0';
    while (this.running) {
      let reply: unknown;
      try {
        reply = await this.read.xread('COUNT', 512, 'BLOCK', 1000, 'STREAMS', this.replyStream, lastId);
      } catch (error) {
        if (!this.running) return;
        throw error;
      }
      for (const [entryId, fields] of entriesOf(reply)) {
        lastId = entryId;
        const response = JSON.parse(field(fields, 'envelope') as string) as { id: string; result?: number; error?: { message: string } };
        const waiter = this.waiting.get(response.id);
        if (!waiter) continue;
        this.waiting.delete(response.id);
        if (response.error) waiter.reject(new Error(response.error.message));
        else waiter.resolve(response.result as number);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.read.disconnect();
    await this.loop?.catch(() => undefined);
    await this.write.del(this.replyStream).catch(() => undefined);
    await this.write.quit().catch(() => undefined);
  }
}

/**
 * A clamator peer made of plain Redis commands, for the wire tests: it writes and reads stream
 * entries exactly as the Python peer does, without any of the code under test.
 */
import type { Redis } from 'ioredis';
import { waitFor } from './redis.js';

/** One stream entry as Redis returned it: its id and its flat `[field, value, ...]` list. */
export interface RawEntry {
  readonly id: string;
  readonly fields: string[];
}

/** A request or notification read by `RawPeerServer`. */
export interface RawRequest extends RawEntry {
  /** The `envelope` field as written. */
  readonly rawEnvelope: string;
  /** The parsed envelope. */
  readonly envelope: Record<string, unknown>;
  /** The `reply-to` field, when there is one. */
  readonly replyTo: string | undefined;
}

/** What a raw peer answers: a result, or an error object (written as is, `data` included when given). */
export type RawAnswer = { result: unknown } | { error: { code: number; message: string; data?: unknown } };

/** Looks a field up by name in a flat field list. */
export function fieldOf(entry: RawEntry, name: string): string | undefined {
  for (let i = 0; i + 1 < entry.fields.length; i += 2) {
    if (entry.fields[i] === name) return entry.fields[i + 1];
  }
  return undefined;
}

/** The parsed `envelope` field of an entry. */
export function envelopeOf(entry: RawEntry): Record<string, unknown> {
  const raw = fieldOf(entry, 'envelope');
  if (raw === undefined) throw new Error(`entry ${entry.id} has no envelope field: ${JSON.stringify(entry.fields)}`);
  return JSON.parse(raw) as Record<string, unknown>;
}

function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON the way Python's `json.dumps` writes it by default: `", "` and `": "` separators and every
 * non-ASCII character escaped as `\uXXXX`.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${asciiString(key)}: ${pythonJson(item)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

function toEntries(raw: unknown): RawEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => {
    const [id, fields] = item as [string, string[]];
    return { id, fields: [...fields] };
  });
}

/** Entries of an XREAD / XREADGROUP reply in its RESP2 shape (what test connections get: ioredis's default reply mapping). */
function entriesOfRead(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((stream) => toEntries((stream as [string, unknown])[1]));
}

/**
 * Reads entries of `key` after `after` with XREAD BLOCK on `blocking` (a connection reserved for
 * it) until `count` have arrived; fails after `timeoutMs`.
 */
export async function readEntries(blocking: Redis, key: string, count: number, after = '0-0', timeoutMs = 10_000): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  const deadline = Date.now() + timeoutMs;
  let lastId = after;
  while (entries.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms reading ${key}: got ${entries.length} of ${count} entries`);
    }
    const reply = await blocking.xread('COUNT', count - entries.length, 'BLOCK', 200, 'STREAMS', key, lastId);
    for (const entry of entriesOfRead(reply)) {
      entries.push(entry);
      lastId = entry.id;
    }
  }
  return entries;
}

/** Every entry of a stream (XRANGE - +). */
export async function allEntries(redis: Redis, key: string): Promise<RawEntry[]> {
  return toEntries(await redis.xrange(key, '-', '+'));
}

/** Number of entries of `group` delivered and not yet acknowledged (XPENDING summary form). */
export async function pendingCount(redis: Redis, stream: string, group: string): Promise<number> {
  const summary = (await redis.xpending(stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** Waits until every entry of `stream` was delivered to `group` and acknowledged. */
export async function waitAllAcknowledged(redis: Redis, stream: string, group: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => {
    const [pending, info] = await Promise.all([pendingCount(redis, stream, group), groupInfo(redis, stream, group)]);
    const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    const lastId = last.length > 0 ? last[0][0] : '0-0';
    return pending === 0 && info['last-delivered-id'] === lastId;
  }, timeoutMs, `every entry of ${stream} delivered to group ${group} and acknowledged`);
}

/** One group's row of XINFO GROUPS, as an object. */
export async function groupInfo(redis: Redis, stream: string, group: string): Promise<Record<string, unknown>> {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  for (const row of groups) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < row.length; i += 2) info[String(row[i])] = row[i + 1];
    if (info.name === group) return info;
  }
  throw new Error(`no group ${group} on ${stream}`);
}

/**
 * A clamator server made of plain Redis commands, the way the Python peer serves: XGROUP CREATE
 * ... $ MKSTREAM, XREADGROUP, a reply XADD with MAXLEN ~ 1024, then XACK.
 */
export class RawPeerServer {
  /** Every entry read so far, in reading order. */
  readonly received: RawRequest[] = [];
  private serving: Promise<void> | undefined;
  private stopped = false;

  constructor(
    /** Connection for non-blocking commands. */
    private readonly redis: Redis,
    /** Connection reserved for XREADGROUP BLOCK. */
    private readonly blocking: Redis,
    readonly keyPrefix: string,
    readonly service: string,
    readonly consumer = `${service}:raw-peer`,
  ) {}

  /** `<keyPrefix>:cmds:<service>`. */
  get stream(): string {
    return `${this.keyPrefix}:cmds:${this.service}`;
  }

  /** Creates the consumer group at `$` (BUSYGROUP tolerated). */
  async createGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, this.service, '$', 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.startsWith('BUSYGROUP')) throw error;
    }
  }

  /** One XREADGROUP (COUNT `count`, BLOCK `blockMs`); returns the new entries. */
  async readOnce(count = 1000, blockMs = 200): Promise<RawRequest[]> {
    const reply = await this.blocking.xreadgroup(
      'GROUP', this.service, this.consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.stream, '>',
    );
    const requests = entriesOfRead(reply).map((entry) => {
      const rawEnvelope = fieldOf(entry, 'envelope') ?? '';
      return { ...entry, rawEnvelope, envelope: JSON.parse(rawEnvelope) as Record<string, unknown>, replyTo: fieldOf(entry, 'reply-to') };
    });
    this.received.push(...requests);
    return requests;
  }

  /** Reads until `count` new entries arrived. */
  async readAtLeast(count: number, timeoutMs = 10_000): Promise<RawRequest[]> {
    const requests: RawRequest[] = [];
    const deadline = Date.now() + timeoutMs;
    while (requests.length < count) {
      if (Date.now() > deadline) throw new Error(`raw peer: got ${requests.length} of ${count} entries in ${timeoutMs} ms`);
      requests.push(...(await this.readOnce(count - requests.length)));
    }
    return requests;
  }

  /** Writes the reply of `request` (spaced JSON, as Python writes it) and acknowledges it. */
  async answer(request: RawRequest, answer: RawAnswer): Promise<void> {
    if (request.replyTo === undefined) throw new Error(`entry ${request.id} has no reply-to`);
    const envelope = pythonJson({ jsonrpc: '2.0', id: request.envelope.id, ...answer });
    await this.redis.xadd(request.replyTo, 'MAXLEN', '~', 1024, '*', 'type', 'rpc', 'envelope', envelope);
    await this.acknowledge(request);
  }

  /** XACK without a reply. */
  async acknowledge(request: RawRequest): Promise<void> {
    await this.redis.xack(this.stream, this.service, request.id);
  }

  /**
   * Serves in a loop until `stop()`: each entry gets `handle`'s answer; `undefined` means no reply
   * (only acknowledged), `'hold'` leaves the entry pending and unanswered.
   */
  serve(handle: (request: RawRequest) => RawAnswer | undefined | 'hold' | Promise<RawAnswer | undefined | 'hold'>): void {
    this.serving = (async () => {
      while (!this.stopped) {
        for (const request of await this.readOnce(100)) {
          const answer = await handle(request);
          if (answer === 'hold') continue;
          if (answer === undefined || request.replyTo === undefined) await this.acknowledge(request);
          else await this.answer(request, answer);
        }
      }
    })();
  }

  /** Ends the serve loop (after its current read). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.serving;
  }
}

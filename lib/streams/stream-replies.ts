/**
 * Parsers for stream command replies. ioredis 5 speaks RESP2; ioredis 6 speaks RESP3, where
 * `replyMapping: 'resp3'` turns XREAD / XREADGROUP maps into plain objects (or `Map`s in raw
 * handlers). Every X* reply passes through here, so one place knows both shapes.
 */

/** One stream entry: its id and its flat `[field, value, ...]` list. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[];
}

/** The result of one XAUTOCLAIM call. */
export interface AutoClaimResult {
  /** Cursor for the next call; `0-0` when the scan went round the whole pending list. */
  readonly cursor: string;
  readonly entries: StreamEntry[];
  /** Ids that were pending but whose entries no longer exist in the stream (Redis 7+). */
  readonly deletedIds: string[];
}

/** One row of XPENDING's extended form. */
export interface PendingEntryInfo {
  readonly id: string;
  readonly consumer: string;
  readonly idleMs: number;
  readonly deliveryCount: number;
}

/** A reply item as text: strings as they are, Buffers decoded as UTF-8, anything else through `String`. */
export function toText(value: unknown): string {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function parseFields(raw: unknown): readonly string[] {
  if (Array.isArray(raw)) {
    // ioredis already hands strings over for non-Buffer commands: keep the array, copy only when needed.
    for (const item of raw) if (typeof item !== 'string') return raw.map(toText);
    return raw as string[];
  }
  if (raw instanceof Map) return [...raw].flatMap(([k, v]) => [toText(k), toText(v)]);
  if (raw !== null && typeof raw === 'object') return Object.entries(raw).flatMap(([k, v]) => [k, toText(v)]);
  return [];
}

/** Parses a list of `[id, fields]` pairs. Entries deleted while pending come back with `null` fields: skipped. */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: StreamEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item[1] === null || item[1] === undefined) continue;
    entries.push({ id: toText(item[0]), fields: parseFields(item[1]) });
  }
  return entries;
}

/**
 * Parses an XREAD / XREADGROUP reply for a single stream: `null` (timeout), RESP2's
 * `[[key, entries]]`, RESP3's `{ key: entries }` or a `Map`.
 */
export function parseReadReply(raw: unknown): StreamEntry[] {
  if (raw === null || raw === undefined) return [];
  if (Array.isArray(raw)) {
    const entries: StreamEntry[] = [];
    for (const streamReply of raw) {
      if (Array.isArray(streamReply)) entries.push(...parseEntries(streamReply[1]));
    }
    return entries;
  }
  const streams = raw instanceof Map ? [...raw.values()] : Object.values(raw as Record<string, unknown>);
  return streams.flatMap((entries) => parseEntries(entries));
}

/** Parses an XAUTOCLAIM reply (an array in both protocols; the third element exists from Redis 7). */
export function parseAutoClaimReply(raw: unknown): AutoClaimResult {
  const [cursor, entries, deleted] = Array.isArray(raw) ? raw : [];
  const deletedIds = Array.isArray(deleted) ? deleted.map(toText) : [];
  // Before Redis 7, entries deleted from the stream show up with null fields instead.
  if (Array.isArray(entries)) {
    for (const item of entries) {
      if (Array.isArray(item) && (item[1] === null || item[1] === undefined)) deletedIds.push(toText(item[0]));
    }
  }
  return { cursor: cursor === undefined ? '0-0' : toText(cursor), entries: parseEntries(entries), deletedIds };
}

/** Parses XPENDING's extended form: `[[id, consumer, idleMs, deliveries], ...]`. */
export function parsePendingReply(raw: unknown): PendingEntryInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((row): row is unknown[] => Array.isArray(row) && row.length >= 4)
    .map((row) => ({
      id: toText(row[0]),
      consumer: toText(row[1]),
      idleMs: Number(row[2]),
      deliveryCount: Number(row[3]),
    }));
}

/**
 * The raw bytes of the first field named `name` of the entry in an XRANGE reply read with Buffer
 * replies (`[[id, [field, value, ...]]]`); `undefined` when the entry or the field is gone.
 */
export function rawFieldValue(reply: unknown, name: string): Buffer | undefined {
  const fields: unknown = Array.isArray(reply) && Array.isArray(reply[0]) ? reply[0][1] : undefined;
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field: unknown = fields[i];
    if (Buffer.isBuffer(field) && field.toString('latin1') === name) {
      const value: unknown = fields[i + 1];
      return Buffer.isBuffer(value) ? value : undefined;
    }
  }
  return undefined;
}

/** Looks a field up by name in a flat field list, never by position. */
export function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === name) return fields[i + 1];
  }
  return undefined;
}

/** What XINFO GROUPS says of one consumer group. */
export interface GroupInfo {
  /** The group's name. */
  readonly name: string;
  /** Entries delivered to the group's consumers and not acknowledged yet (its pending entries list). */
  readonly pending: number;
  /** The id of the last entry delivered to the group. */
  readonly lastDeliveredId: string;
  /**
   * Entries of the stream not yet delivered to the group. `null` when Redis cannot tell: before
   * Redis 7.0, and after entries past the group's position were deleted.
   */
  readonly lag: number | null;
}

/** What XINFO CONSUMERS says of one consumer. */
export interface ConsumerInfo {
  readonly name: string;
  readonly pending: number;
  readonly idleMs: number;
  /**
   * Milliseconds since its last read attempt, entries or not (Redis 7.2 and later; `undefined`
   * before, where `idleMs` counts only reads that returned entries).
   */
  readonly inactiveMs?: number;
}

/** Reads an XINFO record: a flat `[key, value, ...]` array (RESP2), an object or a Map (RESP3). */
export function infoRecord(raw: unknown): Map<string, unknown> {
  if (raw instanceof Map) return new Map([...raw].map(([k, v]) => [toText(k), v]));
  if (Array.isArray(raw)) {
    const record = new Map<string, unknown>();
    for (let i = 0; i + 1 < raw.length; i += 2) record.set(toText(raw[i]), raw[i + 1]);
    return record;
  }
  if (raw !== null && typeof raw === 'object') return new Map(Object.entries(raw));
  return new Map();
}

/** A count that may be missing (older Redis) or nil (Redis cannot tell): `null` then, never 0. Inspection reads its counts the same way. */
export function optionalCount(raw: unknown): number | null {
  if (raw === null || raw === undefined) return null;
  const count = Number(toText(raw));
  return Number.isFinite(count) ? count : null;
}

/** Parses XINFO GROUPS. */
export function parseGroupsInfo(raw: unknown): GroupInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(infoRecord).map((record) => ({
    name: toText(record.get('name')),
    pending: Number(record.get('pending') ?? 0),
    lastDeliveredId: toText(record.get('last-delivered-id') ?? '0-0'),
    lag: optionalCount(record.get('lag')),
  }));
}

/** Parses XINFO CONSUMERS. */
export function parseConsumersInfo(raw: unknown): ConsumerInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(infoRecord).map((record) => ({
    name: toText(record.get('name')),
    pending: Number(record.get('pending') ?? 0),
    idleMs: Number(record.get('idle') ?? 0),
    inactiveMs: record.has('inactive') ? Number(record.get('inactive')) : undefined,
  }));
}

/** The lowest pending id from XPENDING's summary form `[count, minId, maxId, consumers]`; `null` when none is pending. */
export function parsePendingSummaryMinId(raw: unknown): string | null {
  if (!Array.isArray(raw) || Number(raw[0]) === 0 || raw[1] === null || raw[1] === undefined) return null;
  return toText(raw[1]);
}

/** Compares two stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq = '0'] = a.split('-');
  const [bMs, bSeq = '0'] = b.split('-');
  const byMs = BigInt(aMs) - BigInt(bMs);
  if (byMs !== 0n) return byMs < 0n ? -1 : 1;
  const bySeq = BigInt(aSeq) - BigInt(bSeq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}

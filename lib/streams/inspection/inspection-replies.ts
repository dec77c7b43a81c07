/**
 * Parsers for the replies only inspection reads (XINFO GROUPS in full, TIME, XRANGE with Buffer
 * replies), next to the transport's own in `stream-replies.ts` and built on its record reader, so
 * that RESP2 and RESP3 shapes are handled in one way.
 */
import { infoRecord, optionalCount, toText } from '../stream-replies.js';

/** Everything XINFO GROUPS says of one consumer group that an operator wants to see. */
export interface GroupInfoDetail {
  readonly name: string;
  readonly consumers: number;
  readonly pending: number;
  readonly lastDeliveredId: string;
  /** Entries the group has read (Redis 7.0 and later; `null` before, or when Redis cannot tell). */
  readonly entriesRead: number | null;
  /** Entries not yet delivered to the group (Redis 7.0 and later; `null` before, or when Redis cannot tell). */
  readonly lag: number | null;
}

/** Parses XINFO GROUPS with `lag` and `entries-read` (absent before Redis 7.0, nil when Redis cannot tell). */
export function parseGroupsDetail(raw: unknown): GroupInfoDetail[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(infoRecord).map((record) => ({
    name: toText(record.get('name')),
    consumers: Number(record.get('consumers') ?? 0),
    pending: Number(record.get('pending') ?? 0),
    lastDeliveredId: toText(record.get('last-delivered-id') ?? '0-0'),
    entriesRead: optionalCount(record.get('entries-read')),
    lag: optionalCount(record.get('lag')),
  }));
}

/** Milliseconds since the epoch from a TIME reply (`[seconds, microseconds]`). */
export function parseTimeMs(raw: unknown): number {
  const [seconds, micros] = Array.isArray(raw) ? raw.map((part) => Number(toText(part))) : [NaN, NaN];
  return seconds * 1000 + Math.floor(micros / 1000);
}

/** The milliseconds part of a stream id (`<ms>-<seq>`): when Redis wrote the entry, on its own clock. */
export function streamIdMs(id: string): number {
  return Number(id.split('-')[0]);
}

/** One entry read with Buffer replies: its id and its flat field list, bytes exactly as stored. */
export interface BufferEntry {
  readonly id: string;
  readonly fields: readonly Buffer[];
}

/** Parses an XRANGE / XREVRANGE reply read with Buffer replies (`[[id, [field, value, ...]], ...]`). */
export function parseBufferEntries(raw: unknown): BufferEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: BufferEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || !Array.isArray(item[1])) continue;
    const fields = (item[1] as unknown[]).map((field) => (Buffer.isBuffer(field) ? field : Buffer.from(toText(field))));
    entries.push({ id: toText(item[0]), fields });
  }
  return entries;
}

/** The id of the first entry of an XRANGE / XREVRANGE reply; `null` when it holds none. */
export function firstEntryId(raw: unknown): string | null {
  return Array.isArray(raw) && Array.isArray(raw[0]) ? toText(raw[0][0]) : null;
}

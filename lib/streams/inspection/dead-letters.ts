import type { RedisConnection } from '../connections/redis-connections.js';
import { FIELD_ENVELOPE, FIELD_REPLY_TO } from '../../protocol/constants.js';
import type { ClamatorKeys } from '../../protocol/keys.js';
import { fieldValue, parseEntries, type StreamEntry } from '../stream-replies.js';

/**
 * The fields a dead letter carries after the original entry's, in this order. Everything before
 * `dead-reason` is the entry as it was written, which is what a replay puts back.
 */
export const DEAD_LETTER_FIELDS = {
  reason: 'dead-reason',
  deliveries: 'dead-deliveries',
  entryId: 'dead-entry-id',
  at: 'dead-at',
} as const;

/** One entry of a dead-letter stream, read back. */
export interface DeadLetter {
  /** Its id in the dead-letter stream (what a replay names). */
  readonly id: string;
  /** The id the entry had in the command stream. */
  readonly entryId: string | null;
  /** Why it was not run. */
  readonly reason: string | null;
  /** How many times it had been delivered. */
  readonly deliveries: number | null;
  /** When it was dead-lettered, ms since the epoch (the clock of the server that did it). */
  readonly deadAtMs: number | null;
  /** The JSON-RPC `method` of its envelope; `null` when the envelope does not read as one. */
  readonly method: string | null;
  /** Its reply stream; `null` for a notification. */
  readonly replyTo: string | null;
  /** The original entry's fields, as written; `null` when the entry is not in the dead-letter format (no `dead-reason`). */
  readonly originalFields: readonly string[] | null;
}

/** A page of a dead-letter stream. */
export interface DeadLetterPage {
  readonly service: string;
  /** `<keyPrefix>:dead:<service>`. */
  readonly deadLetterStream: string;
  /** Entries in the stream, listed or not. */
  readonly total: number;
  /** The oldest ones first. */
  readonly deadLetters: DeadLetter[];
}

/**
 * Where the dead-letter fields start in a flat field list: the first field name (even position)
 * `dead-reason`; -1 when there is none. `nameOf` reads a field name (strings or Buffers).
 */
export function deadLetterFieldsStart<T>(fields: readonly T[], nameOf: (field: T) => string): number {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (nameOf(fields[i]) === DEAD_LETTER_FIELDS.reason) return i;
  }
  return -1;
}

function optionalNumber(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

/** The `method` member of an envelope; `null` when it is not JSON or has no string `method`. */
export function envelopeMethod(envelope: string | undefined): string | null {
  if (envelope === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(envelope);
    const method = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).method : undefined;
    return typeof method === 'string' ? method : null;
  } catch {
    return null;
  }
}

/** Reads a dead-letter entry: the dead-letter fields from after `dead-reason`, the rest as the original entry. */
export function parseDeadLetter(entry: StreamEntry): DeadLetter {
  const start = deadLetterFieldsStart(entry.fields, (field) => field);
  const original = start < 0 ? entry.fields : entry.fields.slice(0, start);
  // Looked up after the split only, so that an original field can never pass for a dead-letter one.
  const dead = start < 0 ? [] : entry.fields.slice(start);
  return {
    id: entry.id,
    entryId: fieldValue(dead, DEAD_LETTER_FIELDS.entryId) ?? null,
    reason: fieldValue(dead, DEAD_LETTER_FIELDS.reason) ?? null,
    deliveries: optionalNumber(fieldValue(dead, DEAD_LETTER_FIELDS.deliveries)),
    deadAtMs: optionalNumber(fieldValue(dead, DEAD_LETTER_FIELDS.at)),
    method: envelopeMethod(fieldValue(original, FIELD_ENVELOPE)),
    replyTo: fieldValue(original, FIELD_REPLY_TO) ?? null,
    originalFields: start < 0 ? null : original,
  };
}

/** The oldest `count` dead letters of `service` and how many there are in all. */
export async function listDeadLetters(connection: RedisConnection, keys: ClamatorKeys, service: string, count: number): Promise<DeadLetterPage> {
  const key = keys.deadLetterStream(service);
  const [total, raw] = await Promise.all([connection.xlen(key), connection.xrange(key, '-', '+', 'COUNT', count)]);
  return { service, deadLetterStream: key, total, deadLetters: parseEntries(raw).map(parseDeadLetter) };
}

import type { RedisConnection } from '../connections/redis-connections.js';
import { REMOVE_ORPHAN_REPLY_STREAM_SCRIPT } from '../scripts/remove-orphan-reply-stream.script.js';
import { firstEntryId, streamIdMs } from './inspection-replies.js';

/** What one reply stream holds. */
export interface ReplyStreamInspection {
  /** `<keyPrefix>:replies:<clientInstanceId>`. */
  readonly key: string;
  /** Entries in it (XLEN). */
  readonly length: number;
  /** Time left before it expires (PTTL); `null` when it has no expiry. */
  readonly ttlMs: number | null;
  /** How long ago its last reply was written (Redis's clock); `null` when it is empty. */
  readonly lastReplyAgeMs: number | null;
}

/** Reads the length, expiry and last write of a reply stream; `null` when it is gone. */
export async function inspectReplyStream(connection: RedisConnection, key: string, nowMs: number): Promise<ReplyStreamInspection | null> {
  const [length, ttlMs, last] = await Promise.all([
    connection.xlen(key),
    connection.pttl(key),
    connection.xrevrange(key, '+', '-', 'COUNT', 1),
  ]);
  if (ttlMs === -2) return null;
  const lastId = firstEntryId(last);
  return {
    key,
    length,
    ttlMs: ttlMs === -1 ? null : ttlMs,
    lastReplyAgeMs: lastId === null ? null : Math.max(0, nowMs - streamIdMs(lastId)),
  };
}

/**
 * True for a reply stream nobody will read: no expiry (the transport's servers set one on every
 * reply) and no reply written for longer than `idleMs` (or none at all).
 */
export function isOrphanReplyStream(stream: ReplyStreamInspection, idleMs: number): boolean {
  return stream.ttlMs === null && (stream.lastReplyAgeMs === null || stream.lastReplyAgeMs > idleMs);
}

/** Deletes a reply stream if it is still an orphan at that instant (one script); true when it was deleted. */
export async function removeOrphanReplyStream(connection: RedisConnection, key: string, idleMs: number): Promise<boolean> {
  return Number(await connection.eval(REMOVE_ORPHAN_REPLY_STREAM_SCRIPT, 1, key, idleMs)) === 1;
}

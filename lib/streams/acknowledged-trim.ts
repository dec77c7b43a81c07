import type { Redis } from 'ioredis';
import { compareStreamIds, parseGroupsInfo, parsePendingSummaryMinId } from './stream-replies.js';

/** Most XTRIM calls in one pass, so that a long backlog is worked off over several passes. */
const MAX_TRIM_ROUNDS = 50;

/**
 * The highest id below which every group of the stream `key` has acknowledged everything: the
 * lowest of each group's lowest pending id and last delivered id. `null` when nothing may go.
 */
async function acknowledgedBound(connection: Redis, key: string): Promise<string | null> {
  const groups = parseGroupsInfo(await connection.xinfo('GROUPS', key));
  let safeId: string | null = null;
  for (const group of groups) {
    let bound = group.lastDeliveredId;
    if (group.pending > 0) {
      const minPending = parsePendingSummaryMinId(await connection.xpending(key, group.name));
      if (minPending && compareStreamIds(minPending, bound) < 0) bound = minPending;
    }
    if (safeId === null || compareStreamIds(bound, safeId) < 0) safeId = bound;
  }
  return safeId === '0-0' ? null : safeId;
}

/**
 * Trims from the stream `key` the entries every group has acknowledged; entries pending or not yet
 * delivered to some group are never removed. `MINID ~` trims whole nodes only (cheap, may keep a
 * few more). Returns the number of entries removed.
 */
export async function trimAcknowledgedEntries(connection: Redis, key: string): Promise<number> {
  const safeId = await acknowledgedBound(connection, key);
  if (safeId === null) return 0;
  // One approximate XTRIM removes at most 100 * stream-node-max-entries entries (LIMIT's default,
  // 10 000), less than a busy stream takes in between two passes: repeat while it still removes.
  let removed = 0;
  for (let round = 0; round < MAX_TRIM_ROUNDS; round += 1) {
    const trimmed = (await connection.xtrim(key, 'MINID', '~', safeId)) as number;
    removed += trimmed;
    if (trimmed === 0) break;
  }
  return removed;
}

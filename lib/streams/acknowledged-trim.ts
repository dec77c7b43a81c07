import type { Redis } from 'ioredis';
import { compareStreamIds, type GroupInfo, parseConsumersInfo, parseGroupsInfo, parsePendingSummaryMinId } from './stream-replies.js';

/** Most XTRIM calls in one pass, so that a long backlog is worked off over several passes. */
const MAX_TRIM_ROUNDS = 50;

/** When a subscription group stops holding a command stream back. */
export interface StaleSubscriptions {
  /** A subscription none of whose consumers was active for this long, and whose last read entry is this old, is stale. */
  readonly staleSubscriptionMs: number;
  /** Hears of each stale subscription group met in a pass. */
  readonly onStale: (group: string) => void;
}

/** `StaleSubscriptions` and how to tell a subscription group by its name. */
interface StaleRule extends StaleSubscriptions {
  readonly isSubscription: (group: string) => boolean;
}

/**
 * True when nobody reads for the subscription group any more: none of its consumers was active
 * within the bound (by `inactive` from Redis 7.2, by `idle` before it) and the last entry it read
 * was written before the bound too (a group with no consumers left counts from there alone).
 */
async function isStale(connection: Redis, key: string, group: GroupInfo, rule: StaleRule, nowMs: number): Promise<boolean> {
  const lastReadMs = Number(group.lastDeliveredId.split('-')[0]);
  if (nowMs - lastReadMs <= rule.staleSubscriptionMs) return false;
  const consumers = parseConsumersInfo(await connection.xinfo('CONSUMERS', key, group.name));
  return consumers.every((consumer) => (consumer.inactiveMs ?? consumer.idleMs) > rule.staleSubscriptionMs);
}

/**
 * The highest id below which every group of the stream `key` has acknowledged everything: the
 * lowest of each group's lowest pending id and last delivered id, leaving out stale subscription
 * groups. `null` when nothing may go.
 */
async function acknowledgedBound(connection: Redis, key: string, rule: StaleRule | undefined): Promise<string | null> {
  const groups = parseGroupsInfo(await connection.xinfo('GROUPS', key));
  const nowMs = Date.now();
  let safeId: string | null = null;
  for (const group of groups) {
    if (rule?.isSubscription(group.name) && (await isStale(connection, key, group, rule, nowMs))) {
      rule.onStale(group.name);
      continue;
    }
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
 * delivered to some group are never removed, except for what only a stale subscription still holds
 * (when `rule` is given). `MINID ~` trims whole nodes only (cheap, may keep a few more). Returns the
 * number of entries removed.
 */
export async function trimAcknowledgedEntries(connection: Redis, key: string, rule?: StaleRule): Promise<number> {
  const safeId = await acknowledgedBound(connection, key, rule);
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

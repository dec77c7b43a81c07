import type { RedisConnection } from './connections/redis-connections.js';
import { compareStreamIds, type GroupInfo, parseGroupsInfo, parsePendingSummaryMinId } from './stream-replies.js';
import { followingRedirects } from './cluster/redirects.js';

/** Most XTRIM calls in one pass, so that a long backlog is worked off over several passes. */
const MAX_TRIM_ROUNDS = 50;

/** When a subscription group stops holding a command stream back. */
export interface StaleSubscriptions {
  /** A subscription none of whose readers has been alive for this long is stale. */
  readonly staleSubscriptionMs: number;
  /** Hears of each stale subscription group met in a pass. */
  readonly onStale: (group: string) => void;
}

/** `StaleSubscriptions`, and where the readers of a group say they are alive. */
interface StaleRule extends StaleSubscriptions {
  /** The heartbeat key of a subscription group; `undefined` for any other group (which is never stale). */
  readonly heartbeatKey: (group: string) => string | undefined;
}

/**
 * True when nobody reads for the subscription group any more: its readers' heartbeat (written
 * every second while a server of the subscription runs) is older than the bound, or gone. Read
 * from a key of its own rather than from the group's consumers, whose idle times differ between
 * Redis versions and say nothing of a consumer that has not read yet.
 */
async function isStale(connection: RedisConnection, group: GroupInfo, rule: StaleRule, nowMs: number): Promise<boolean> {
  const key = rule.heartbeatKey(group.name);
  if (key === undefined) return false;
  const aliveAtMs = Number((await connection.get(key)) ?? 0);
  return nowMs - aliveAtMs > rule.staleSubscriptionMs;
}

/**
 * The highest id below which every group of the stream `key` has acknowledged everything: the
 * lowest of each group's lowest pending id and last delivered id, leaving out stale subscription
 * groups. `null` when nothing may go.
 */
async function acknowledgedBound(connection: RedisConnection, key: string, rule: StaleRule | undefined): Promise<string | null> {
  const groups = parseGroupsInfo(await followingRedirects(() => connection.xinfo('GROUPS', key)));
  const nowMs = Date.now();
  let safeId: string | null = null;
  for (const group of groups) {
    if (rule && (await isStale(connection, group, rule, nowMs))) {
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
export async function trimAcknowledgedEntries(connection: RedisConnection, key: string, rule?: StaleRule): Promise<number> {
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

import type { RedisConnection } from '../connections/redis-connections.js';
import type { ClamatorKeys } from '../../protocol/keys.js';
import { type ConsumerInfo, parseConsumersInfo, parsePendingReply } from '../stream-replies.js';
import { type GroupInfoDetail, parseGroupsDetail, streamIdMs } from './inspection-replies.js';
import { followingRedirects } from '../cluster/redirects.js';

/** The oldest entry a group has delivered and not had acknowledged. */
export interface OldestPending {
  /** Its entry id. */
  readonly id: string;
  /** How long ago it was written to the stream (Redis's clock). */
  readonly ageMs: number;
  /** How long ago it was last delivered (or its claim refreshed). */
  readonly idleMs: number;
  /** How many times it was delivered. */
  readonly deliveries: number;
}

/** What one consumer group on a command stream holds. */
export interface GroupInspection {
  readonly name: string;
  /** `service` for the group named after the service, `subscription` for `subscription:<name>`, `other` for any other. */
  readonly kind: 'service' | 'subscription' | 'other';
  /** Entries delivered to the group's consumers and not acknowledged yet. */
  readonly pending: number;
  /** The oldest of them; `null` when nothing is pending. */
  readonly oldestPending: OldestPending | null;
  /** Entries not yet delivered to the group (Redis 7.0 and later); `null` when Redis cannot tell. */
  readonly lag: number | null;
  /** Entries the group has read (Redis 7.0 and later); `null` when Redis cannot tell. */
  readonly entriesRead: number | null;
  readonly lastDeliveredId: string;
  /** The group's consumers: pending counts and idle times (`inactiveMs` from Redis 7.2). */
  readonly consumers: ConsumerInfo[];
}

/** What the command stream of one service holds, and its dead letters. */
export interface ServiceInspection {
  readonly service: string;
  /** `<keyPrefix>:cmds:<service>`. */
  readonly commandStream: string;
  /** Entries in the command stream (XLEN). */
  readonly length: number;
  /** `<keyPrefix>:dead:<service>`. */
  readonly deadLetterStream: string;
  /** Entries in the dead-letter stream (XLEN; 0 when there is none). */
  readonly deadLetters: number;
  readonly groups: GroupInspection[];
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

async function oldestPending(connection: RedisConnection, key: string, group: string, nowMs: number): Promise<OldestPending | null> {
  // The extended form lists pending entries by id: the first one is the oldest.
  const [first] = parsePendingReply(await connection.xpending(key, group, '-', '+', 1));
  if (!first) return null;
  return { id: first.id, ageMs: Math.max(0, nowMs - streamIdMs(first.id)), idleMs: first.idleMs, deliveries: first.deliveryCount };
}

async function inspectGroup(connection: RedisConnection, keys: ClamatorKeys, service: string, key: string, info: GroupInfoDetail, nowMs: number): Promise<GroupInspection> {
  const [consumers, oldest] = await Promise.all([
    followingRedirects(() => connection.xinfo('CONSUMERS', key, info.name)).then(parseConsumersInfo),
    info.pending > 0 ? oldestPending(connection, key, info.name, nowMs) : null,
  ]);
  const kind = info.name === keys.group(service) ? 'service' : keys.isSubscriptionGroup(info.name) ? 'subscription' : 'other';
  return {
    name: info.name,
    kind,
    pending: info.pending,
    oldestPending: oldest,
    lag: info.lag,
    entriesRead: info.entriesRead,
    lastDeliveredId: info.lastDeliveredId,
    consumers: consumers.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/**
 * Reads the command stream of `service`: length, every consumer group (the service's own and any
 * subscription's) with its consumers, pending entries and lag, and the dead-letter count. `nowMs`
 * is Redis's clock (TIME), against which entry ages are measured. `null` when the stream is gone.
 */
export async function inspectService(connection: RedisConnection, keys: ClamatorKeys, service: string, nowMs: number): Promise<ServiceInspection | null> {
  const key = keys.commandStream(service);
  const deadLetterStream = keys.deadLetterStream(service);
  let groups: GroupInfoDetail[];
  let length: number;
  let deadLetters: number;
  try {
    [groups, length, deadLetters] = await Promise.all([
      followingRedirects(() => connection.xinfo('GROUPS', key)).then(parseGroupsDetail),
      connection.xlen(key),
      connection.xlen(deadLetterStream),
    ]);
  } catch (error) {
    // Deleted between the scan that found it and now: nothing to report.
    if (isNoSuchKey(error)) return null;
    throw error;
  }
  const inspected = await Promise.all(groups.map((info) => inspectGroup(connection, keys, service, key, info, nowMs)));
  // The service's own group first, then subscriptions and the rest by name.
  const order = { service: 0, subscription: 1, other: 2 } as const;
  inspected.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
  return { service, commandStream: key, length, deadLetterStream, deadLetters, groups: inspected };
}

import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../../protocol/constants.js';
import type { RedisConnection } from '../connections/redis-connections.js';
import type { HandledEntryWrite } from '../scripts/reply-and-ack.script.js';
import { backoffDelayMs, sleep } from '../connections/backoff.js';
import type { KeySlots } from './key-slot.js';
import { FAILOVER_ATTEMPTS, isFailoverError, retryingFailover } from './redirects.js';

/** Where the outcome of cross-slot writes is reported. */
export interface CrossSlotOutcome {
  /** Entries left unacknowledged because their reply could not be stored. */
  unstored(writes: readonly HandledEntryWrite[], reason: string): void;
  /** An XACK that failed: its entries stay pending. */
  ackFailed(streamKey: string, error: Error): void;
}

/** How replies are written. */
export interface ReplyLimits {
  readonly replyStreamMaxLen: number;
  readonly replyStreamTtlMs: number;
}

/**
 * Writes a batch of replies and acknowledgements whose keys lie in several hash slots of a Redis
 * Cluster, where no single script or pipeline may touch them together (CROSSSLOT). Replies go as
 * one pipeline per reply-stream slot (XADDs, then each stream's expiry); only once those are
 * answered are the entries acknowledged, one XACK per command stream and group. So a reply is
 * still stored before its entry is acknowledged, at the cost of a second round trip. Entries
 * without a reply are acknowledged at once, alongside the replies. Writes a failover gets in the
 * way of are sent again with backoff (`retryingFailover`).
 */
export async function writeAcrossSlots(
  connection: RedisConnection,
  batch: readonly HandledEntryWrite[],
  slots: KeySlots,
  limits: ReplyLimits,
  outcome: CrossSlotOutcome,
): Promise<void> {
  const acksNow: HandledEntryWrite[] = [];
  const replies: HandledEntryWrite[] = [];
  for (const write of batch) {
    if (write.replyTo !== undefined && write.envelope !== undefined) replies.push(write);
    else acksNow.push(write);
  }
  const sentAcks = acknowledge(connection, acksNow, outcome);
  const refused = new Map<HandledEntryWrite, string>();
  const bySlot = slots.group(replies, (write) => write.replyTo as string);
  await Promise.all([...bySlot.values()].map((writes) => writeReplies(connection, writes, limits, refused)));
  if (refused.size > 0) {
    outcome.unstored([...refused.keys()], `Redis refused the reply: ${[...new Set(refused.values())].join('; ')}`);
  }
  const acks = replies.filter((write) => !refused.has(write) || write.ackWithoutReply);
  await Promise.all([sentAcks, acknowledge(connection, acks, outcome)]);
}

/**
 * Replies whose streams share a slot, as one pipeline; refusals are recorded in `refused`. Those a
 * failover got in the way of (CLUSTERDOWN, TRYAGAIN, redirections) are sent again with backoff.
 */
async function writeReplies(
  connection: RedisConnection, writes: readonly HandledEntryWrite[], limits: ReplyLimits, refused: Map<HandledEntryWrite, string>,
): Promise<void> {
  let unsent = writes;
  for (let attempt = 1; unsent.length > 0; attempt += 1) {
    if (attempt > 1) await sleep(backoffDelayMs(attempt - 1));
    const failed = await sendReplies(connection, unsent, limits);
    const last = attempt >= FAILOVER_ATTEMPTS;
    const again: HandledEntryWrite[] = [];
    for (const [write, error] of failed) {
      if (!last && isFailoverError(error)) again.push(write);
      else refused.set(write, error.message);
    }
    unsent = again;
  }
}

/** One pipeline of replies (XADDs, then each stream's PEXPIRE); returns the writes that failed, with why. */
async function sendReplies(
  connection: RedisConnection, writes: readonly HandledEntryWrite[], limits: ReplyLimits,
): Promise<Map<HandledEntryWrite, Error>> {
  const failed = new Map<HandledEntryWrite, Error>();
  const pipeline = connection.pipeline();
  const streams = new Set<string>();
  for (const write of writes) {
    pipeline.xadd(
      write.replyTo as string, 'MAXLEN', '~', limits.replyStreamMaxLen, '*', FIELD_TYPE, TYPE_RPC, FIELD_ENVELOPE, write.envelope as string,
    );
    streams.add(write.replyTo as string);
  }
  for (const stream of streams) pipeline.pexpire(stream, limits.replyStreamTtlMs);
  try {
    const results = (await pipeline.exec()) ?? [];
    writes.forEach((write, i) => {
      const error = results[i]?.[0] ?? (results[i] ? null : new Error('no answer from Redis'));
      if (error) failed.set(write, error);
    });
  } catch (error) {
    for (const write of writes) failed.set(write, error as Error);
  }
  return failed;
}

/** One XACK per command stream and group (each a single key, so any node routing works). */
async function acknowledge(connection: RedisConnection, writes: readonly HandledEntryWrite[], outcome: CrossSlotOutcome): Promise<void> {
  if (writes.length === 0) return;
  const byStream = new Map<string, { key: string; group: string; ids: string[] }>();
  for (const write of writes) {
    const id = `${write.group}\u0000${write.streamKey}`;
    let ack = byStream.get(id);
    if (!ack) byStream.set(id, (ack = { key: write.streamKey, group: write.group, ids: [] }));
    ack.ids.push(write.entryId);
  }
  await Promise.all(
    [...byStream.values()].map(({ key, group, ids }) =>
      retryingFailover(() => connection.xack(key, group, ...ids)).then(
        () => undefined,
        (error: Error) => outcome.ackFailed(key, error),
      ),
    ),
  );
}

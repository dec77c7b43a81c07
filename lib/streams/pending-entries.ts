import type { Redis } from 'ioredis';
import type { ClamatorKeys } from '../protocol/keys.js';
import type { RedisConnection } from './connections/redis-connections.js';
import { DEAD_LETTER_FIELDS } from './inspection/dead-letters.js';
import {
  type AutoClaimResult,
  type PendingEntryInfo,
  type StreamEntry,
  parseAutoClaimReply,
  parsePendingReply,
  rawFieldValue,
} from './stream-replies.js';

/**
 * What a consumer does with entries delivered to it outside the write batches: acknowledging at
 * once, reclaiming idle ones, keeping claims fresh, reading pending state and dead-lettering.
 * Every command touches one command stream (or its dead-letter stream): one key, so any node
 * routing of a cluster works.
 */
export class PendingEntries {
  constructor(
    private readonly connection: () => RedisConnection,
    private readonly keys: ClamatorKeys,
  ) {}

  /** Acknowledges entries at once (outside the batch), in `group` (the service's own by default). */
  async ack(service: string, entryIds: readonly string[], group: string): Promise<number> {
    if (entryIds.length === 0) return 0;
    return this.connection().xack(this.keys.commandStream(service), group, ...entryIds);
  }

  /** Takes over entries of `group` idle longer than `minIdleMs` (`XAUTOCLAIM`), starting at `cursor`. */
  async autoClaim(
    service: string, consumer: string, minIdleMs: number, cursor: string, count: number, group: string,
  ): Promise<AutoClaimResult> {
    const reply = await this.connection().xautoclaim(this.keys.commandStream(service), group, consumer, minIdleMs, cursor, 'COUNT', count);
    return parseAutoClaimReply(reply);
  }

  /**
   * The raw bytes of a field of one entry of the command stream of `service` (`XRANGE` with Buffer
   * replies), for a value that may not be valid UTF-8: the strings read otherwise have U+FFFD in
   * place of such bytes. `undefined` when the entry or the field is gone.
   */
  async rawField(service: string, entryId: string, field: string): Promise<Buffer | undefined> {
    return rawFieldValue(await this.connection().xrangeBuffer(this.keys.commandStream(service), entryId, entryId), field);
  }

  /** Delivery counts and owners of pending entries in `[fromId, toId]` of `group`, for one consumer when given. */
  async pending(
    service: string, fromId: string, toId: string, count: number, consumer: string | undefined, group: string,
  ): Promise<PendingEntryInfo[]> {
    const key = this.keys.commandStream(service);
    const reply = consumer
      ? await this.connection().xpending(key, group, fromId, toId, count, consumer)
      : await this.connection().xpending(key, group, fromId, toId, count);
    return parsePendingReply(reply);
  }

  /**
   * Resets the idle time of entries this consumer is still handling (`XCLAIM ... 0 ... JUSTID`), so
   * that a handler running longer than the claim threshold is not taken over and run twice.
   */
  async refreshClaims(service: string, consumer: string, entryIds: readonly string[], group: string): Promise<void> {
    if (entryIds.length === 0) return;
    // Redis and Cluster share this command's signature; TypeScript cannot pick an overload on their union.
    await (this.connection() as Redis).xclaim(this.keys.commandStream(service), group, consumer, 0, ...entryIds, 'JUSTID');
  }

  /**
   * Copies an entry that will not be run again to `<keyPrefix>:dead:<service>`: its original
   * fields, then `dead-reason`, `dead-deliveries`, `dead-entry-id` and `dead-at` (ms since epoch).
   * Dead-letter streams are never trimmed by the transport: they are for operators to inspect.
   */
  async deadLetter(service: string, entry: StreamEntry, reason: string, deliveryCount: number): Promise<string> {
    const dead = DEAD_LETTER_FIELDS;
    const id = await this.connection().xadd(
      this.keys.deadLetterStream(service), '*', ...entry.fields,
      dead.reason, reason, dead.deliveries, String(deliveryCount), dead.entryId, entry.id, dead.at, String(Date.now()),
    );
    return id as string;
  }
}

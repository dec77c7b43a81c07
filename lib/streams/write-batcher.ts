import type { LoggerService } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from './connections/redis-connections.js';
import { corkableSocket } from './connections/corkable-socket.js';
import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../protocol/constants.js';
import { chunked, isNoScriptError, isScriptRefusedError, MAX_SCRIPT_BATCH, type ScriptSupport } from './scripts/redis-script.js';
import {
  type HandledEntryWrite,
  parseReplyAndAckFailures,
  REPLY_AND_ACK_SCRIPT,
  replyAndAckCall,
} from './scripts/reply-and-ack.script.js';
import type { KeySlots } from './cluster/key-slot.js';
import { HeldBatch } from './held-batch.js';
import { writeAcrossSlots } from './cluster/cross-slot-writes.js';
import { isFailoverError, retryingFailover } from './cluster/redirects.js';

/**
 * Hears of handled entries that were left unacknowledged because their reply (or the whole batch)
 * could not be written, with Redis's reason. They stay pending and will be delivered again.
 */
export type UnstoredWritesListener = (writes: readonly HandledEntryWrite[], reason: string) => void;

/** Entries named in a log line, at most. */
const LOGGED_IDS = 5;

/**
 * Collects the replies and acknowledgements of entries finished before the next tick (all the
 * entries of a read whose handlers need no I/O finish in one chain of promise jobs) and sends them
 * as one command: a script that writes every reply, refreshes each reply stream's expiry and
 * acknowledges each entry whose reply is stored (`REPLY_AND_ACK_SCRIPT`). One command instead of
 * one per reply is most of what a reply costs the server and Redis. Acknowledgements alone, and
 * every batch where Redis refuses scripts, go as plain commands; there a reply's XACK is sent only
 * once its XADD succeeded, so that an entry is never acknowledged without its reply.
 *
 * A read loop about to read again can take the batch along (`sendBefore`): the writes and its next
 * XREADGROUP then leave in one write on its own connection, and each write's outcome is handled as
 * soon as Redis answers it, never behind the blocking read. While a loop gathers (`hold`), the batch
 * waits for it instead of being flushed on the command connection.
 */
export class WriteBatcher extends HeldBatch<HandledEntryWrite> {
  private readonly inFlight = new Set<Promise<unknown>>();
  private unstoredListener: UnstoredWritesListener = () => undefined;

  constructor(
    private readonly connection: () => RedisConnection,
    readonly replyStreamMaxLen: number,
    readonly replyStreamTtlMs: number,
    private readonly logger: LoggerService,
    private readonly scripts: ScriptSupport,
    /** Slots of keys, on a Redis Cluster only: a batch whose keys span slots is written per slot there. */
    private readonly slots?: KeySlots,
  ) {
    super();
  }

  /**
   * Queues a reply (when `replyTo` is set) and the acknowledgement of `entryId`; `drain()` waits for
   * them. With `ackWithoutReply` the entry is acknowledged even when its reply cannot be stored.
   */
  write(streamKey: string, group: string, entryId: string, replyTo?: string, envelope?: string, ackWithoutReply = false): void {
    this.add({ streamKey, group, entryId, replyTo, envelope, ackWithoutReply });
  }

  /** Sets who hears of entries left pending because their writes failed. */
  onUnstored(listener: UnstoredWritesListener): void {
    this.unstoredListener = listener;
  }

  /**
   * True when the queued writes may travel in one pipeline with a command on `key`: always on a
   * single Redis; on a cluster only when every key they touch is in `key`'s slot.
   */
  fitsWith(key: string): boolean {
    return this.slots === undefined || this.slots.allIn(this.batch, keysOf, this.slots.of(key));
  }

  /** Sends what is queued now, on the command connection, whatever holds there are. */
  flushNow(): void {
    this.flush(true);
  }

  /**
   * Sends the queued writes on `connection` followed by the command `read` issues, in one socket
   * write, and resolves with that command's result (rejects with its error). On a single Redis
   * that is ready the commands go straight to the connection with its socket corked (no pipeline
   * object for each read); otherwise (a cluster, a connection not ready) as one pipeline.
   */
  async sendBefore(connection: RedisConnection, read: (commands: ChainableCommander) => unknown): Promise<unknown> {
    const batch = this.take();
    const socket = corkableSocket(connection);
    if (socket !== undefined) {
      // ioredis writes a command to the socket as it is issued when ready: corked, they leave together.
      let reply: unknown;
      socket.cork();
      try {
        this.addWrites(connection as unknown as ChainableCommander, batch);
        reply = read(connection as unknown as ChainableCommander);
      } finally {
        socket.uncork();
      }
      return reply;
    }
    const pipeline = connection.pipeline();
    this.addWrites(pipeline, batch);
    read(pipeline);
    const results = (await pipeline.exec()) ?? [];
    const last = results.at(-1);
    if (!last) throw new Error('pipeline returned no reply for the read');
    if (last[0]) throw last[0];
    return last[1];
  }

  /** Resolves when everything queued so far has been sent and answered (or given up on). */
  async drain(): Promise<void> {
    this.flush(true);
    // A batch re-sent after NOSCRIPT or a refusal is tracked while the first attempt settles: wait until none is left.
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
  }

  protected sendBatch(batch: HandledEntryWrite[]): void {
    if (this.slots !== undefined && !this.slots.allIn(batch, keysOf)) {
      const outcome = { unstored: (writes: readonly HandledEntryWrite[], reason: string) => this.unstored(writes, reason), ackFailed: this.ackFailed };
      this.track(writeAcrossSlots(this.connection(), batch, this.slots, this, outcome));
      return;
    }
    const pipeline = this.connection().pipeline();
    this.addWrites(pipeline, batch);
    void pipeline.exec().catch(() => undefined);
  }

  /** Adds a batch's writes to `pipeline`: as script calls when it holds a reply, else as plain commands. */
  private addWrites(pipeline: ChainableCommander, batch: HandledEntryWrite[]): void {
    if (batch.length === 0) return;
    if (!this.scripts.enabled || !batch.some(hasReply)) {
      this.addPlainWrites(pipeline, batch);
      return;
    }
    for (const chunk of chunked(batch, MAX_SCRIPT_BATCH)) {
      const call = replyAndAckCall(chunk, this.replyStreamMaxLen, this.replyStreamTtlMs);
      this.track(
        new Promise<void>((resolve) => {
          REPLY_AND_ACK_SCRIPT.addTo(pipeline, call, (error, reply) => resolve(this.afterScript(chunk, error ?? null, reply)));
        }),
      );
    }
  }

  /** Handles the outcome of one script run: reports what it could not store, or recovers from a missing or refused script. */
  private afterScript(batch: HandledEntryWrite[], error: Error | null, reply: unknown): Promise<void> | void {
    if (!error) return this.reportScript(batch, reply);
    if (isNoScriptError(error)) {
      // Redis lost its script cache (restart, SCRIPT FLUSH) and ran nothing: send the body at once, on the command connection.
      const call = replyAndAckCall(batch, this.replyStreamMaxLen, this.replyStreamTtlMs);
      return REPLY_AND_ACK_SCRIPT.runBody(this.connection(), call).then(
        (retried) => this.reportScript(batch, retried),
        (retryError: Error) =>
          isScriptRefusedError(retryError)
            ? this.afterScript(batch, retryError, null)
            : this.unstored(batch, `reply/ack script failed: ${retryError.message}`),
      );
    }
    if (isScriptRefusedError(error)) {
      // Nothing ran: write the same entries as plain commands, and from now on always.
      this.scripts.refuse(error);
      const pipeline = this.connection().pipeline();
      this.addPlainWrites(pipeline, batch);
      return pipeline.exec().then(
        () => undefined,
        () => undefined,
      );
    }
    if (this.slots !== undefined && isFailoverError(error)) {
      // A cluster failover was in the way and the script did not run: again with backoff, as cross-slot writes are.
      const call = replyAndAckCall(batch, this.replyStreamMaxLen, this.replyStreamTtlMs);
      return retryingFailover(() => REPLY_AND_ACK_SCRIPT.run(this.connection(), call)).then(
        (retried) => this.reportScript(batch, retried),
        (retryError: Error) => this.unstored(batch, `reply/ack script failed: ${retryError.message}`),
      );
    }
    this.unstored(batch, `reply/ack script failed: ${error.message}`);
  }

  private reportScript(batch: readonly HandledEntryWrite[], reply: unknown): void {
    const { unstoredReplies, failedAcks } = parseReplyAndAckFailures(reply);
    if (unstoredReplies.length > 0) {
      const byId = new Map(batch.map((write) => [write.entryId, write]));
      const messages = new Set(unstoredReplies.map(({ message }) => message));
      const writes = unstoredReplies.map(({ entryId }) => byId.get(entryId)).filter((write) => write !== undefined);
      this.unstored(writes, `Redis refused the reply: ${[...messages].join('; ')}`);
    }
    for (const { streamKey, message } of failedAcks) this.ackFailed(streamKey, new Error(message));
  }

  /**
   * Plain commands: XACK at once for entries without a reply; each reply's XADD, and only once it
   * is answered, the XACK of the entries whose reply went in (and each reply stream's expiry).
   */
  private addPlainWrites(pipeline: ChainableCommander, batch: readonly HandledEntryWrite[]): void {
    const acks = new EntryAcks();
    const replies: HandledEntryWrite[] = [];
    for (const write of batch) {
      if (hasReply(write)) replies.push(write);
      else acks.add(write);
    }
    acks.addTo(pipeline, this.ackFailed);
    if (replies.length === 0) return;
    this.track(
      new Promise<void>((resolve) => {
        const refused = new Map<HandledEntryWrite, string>();
        let unanswered = replies.length;
        const answered = (write: HandledEntryWrite, error: Error | null | undefined) => {
          if (error) refused.set(write, error.message);
          if (--unanswered === 0) resolve(this.afterPlainReplies(replies, refused));
        };
        for (const write of replies) {
          pipeline.xadd(
            write.replyTo as string, 'MAXLEN', '~', this.replyStreamMaxLen, '*', FIELD_TYPE, TYPE_RPC, FIELD_ENVELOPE, write.envelope as string,
            (error) => answered(write, error),
          );
        }
      }),
    );
  }

  /** Second step of plain writes: expiry of the reply streams written to, XACK of the entries that may be acknowledged. */
  private afterPlainReplies(replies: readonly HandledEntryWrite[], refused: Map<HandledEntryWrite, string>): Promise<void> | void {
    if (refused.size > 0) this.unstored([...refused.keys()], `Redis refused the reply: ${[...new Set(refused.values())].join('; ')}`);
    const pipeline = this.connection().pipeline();
    const acks = new EntryAcks();
    const written = new Set<string>();
    for (const write of replies) {
      if (!refused.has(write)) written.add(write.replyTo as string);
      if (!refused.has(write) || write.ackWithoutReply) acks.add(write);
    }
    if (acks.size === 0) return;
    for (const key of written) pipeline.pexpire(key, this.replyStreamTtlMs);
    acks.addTo(pipeline, this.ackFailed);
    return pipeline.exec().then(
      () => undefined,
      () => undefined,
    );
  }

  private readonly ackFailed = (streamKey: string, error: Error): void => {
    this.logger.error(`Could not acknowledge entries on ${streamKey}: ${error.message}; they stay pending and will be delivered again.`);
  };

  private track(sent: Promise<unknown>): void {
    const tracked = sent.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** One log line for the writes of a batch left unacknowledged, and the listener told which they are. */
  private unstored(writes: readonly HandledEntryWrite[], reason: string): void {
    if (writes.length === 0) return;
    const ids = writes.map((write) => write.entryId);
    const kept = writes.filter((write) => !write.ackWithoutReply).length;
    this.logger.error(
      `${reason} (entries ${ids.slice(0, LOGGED_IDS).join(', ')}${ids.length > LOGGED_IDS ? `, ... ${ids.length} in all` : ''}); ` +
        `${kept} of them stay pending and will be delivered again.`,
    );
    this.unstoredListener(writes, reason);
  }
}

/** The keys one write touches: its command stream, and its reply stream when it has one. */
function keysOf(write: HandledEntryWrite): [string, string | undefined] {
  return [write.streamKey, write.replyTo];
}

function hasReply(write: HandledEntryWrite): boolean {
  return write.replyTo !== undefined && write.envelope !== undefined;
}

/**
 * Acknowledgements grouped by command stream and consumer group: one XACK per pair (a service's
 * own group and its subscriptions' share one command stream).
 */
class EntryAcks {
  private readonly acks: Array<{ key: string; group: string; ids: string[] }> = [];
  private last: { key: string; group: string; ids: string[] } | undefined;
  size = 0;

  add(write: HandledEntryWrite): void {
    this.size += 1;
    // Nearly every batch holds one stream and group: look further only when it changes.
    let ack = this.last;
    if (ack === undefined || ack.key !== write.streamKey || ack.group !== write.group) {
      ack = this.acks.find(({ key, group }) => key === write.streamKey && group === write.group);
      if (ack === undefined) this.acks.push((ack = { key: write.streamKey, group: write.group, ids: [] }));
      this.last = ack;
    }
    ack.ids.push(write.entryId);
  }

  addTo(pipeline: ChainableCommander, failed: (streamKey: string, error: Error) => void): void {
    for (const { key, group, ids } of this.acks) {
      pipeline.xack(key, group, ...ids, (error?: Error | null) => {
        if (error) failed(key, error);
      });
    }
  }
}

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisConnection } from './connections/redis-connections.js';
import { DEFAULTS } from '../protocol/constants.js';
import { ClamatorKeys } from '../protocol/keys.js';
import { type ClamatorConnectionOptions, resolveConnectionSource } from '../options/connection.options.js';
import { OptionRules } from '../options/option-rules.js';
import { STREAMS_OPTION_NAMES } from '../options/streams-option-names.js';
import { settlesWithin } from './connections/bounded-wait.js';
import { clientIdOf, unblockClient } from './connections/client-unblock.js';
import { type ClamatorStatus, followConnectionStatus } from './connections/connection-status.js';
import { RedisConnections } from './connections/redis-connections.js';
import { describeRedisEndpoint, type ReadinessWait, waitUntilReady } from './connections/redis-readiness.js';
import { ScriptSupport } from './scripts/redis-script.js';
import { ScriptLoader } from './scripts/script-loader.js';
import type { StaleSubscriptions } from './acknowledged-trim.js';
import { REPLY_AND_ACK_SCRIPT } from './scripts/reply-and-ack.script.js';
import {
  type AutoClaimResult,
  type ConsumerInfo,
  type GroupInfo,
  type PendingEntryInfo,
  type StreamEntry,
  parseReadReply,
} from './stream-replies.js';
import { AppendBatcher } from './append-batcher.js';
import { KeySlots } from './cluster/key-slot.js';
import { APPEND_ENTRIES_SCRIPT, appendEntry } from './scripts/append-entries.script.js';
import { type UnstoredWritesListener, WriteBatcher } from './write-batcher.js';
import { StreamOperations } from './inspection/stream-operations.js';
import { GroupMaintenance } from './group-maintenance.js';
import { PendingEntries } from './pending-entries.js';
import { followingRedirects } from './cluster/redirects.js';

/** Injection token of the options of a `ClamatorStreamsService` provided through Nest's DI. */
export const CLAMATOR_STREAMS_OPTIONS = Symbol.for('nestjs-clamator:streams-options');

/** Options of `ClamatorStreamsService`. */
export interface ClamatorStreamsOptions extends Omit<ClamatorConnectionOptions, 'instanceId'> {
  /** Approximate cap on reply-stream length (`XADD ... MAXLEN ~ n`): a safety net, far above what a caller has in flight. Default: 100000. */
  replyStreamMaxLen?: number;
  /** A reply stream expires this long after the last reply written to it. Default: 600000 (10 min). */
  replyStreamTtlMs?: number;
  /** Name shown in `CLIENT LIST` for the connections opened here. Default: `"clamator"`. */
  connectionName?: string;
}

/**
 * On close, how long queued writes may take to reach Redis before they are given up on (Redis
 * down, frozen or paused). Unwritten replies leave their entries pending, to be delivered again.
 */
export const CLOSE_FLUSH_BOUND_MS = 1_000;


function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('BUSYGROUP');
}

/**
 * The one place that issues stream commands (X*) for nestjs-clamator: consumer groups, reading
 * commands and replies, writing requests, notifications and replies, acknowledging, reclaiming and
 * keeping claims fresh. `ClamatorServer` and `ClamatorClient` each own one; health checks and tools
 * can inject their own through `CLAMATOR_STREAMS_OPTIONS`.
 */
@Injectable()
export class ClamatorStreamsService implements OnApplicationShutdown {
  /** Key names derived from the configured prefix. */
  readonly keys: ClamatorKeys;
  private readonly connections: RedisConnections;
  private readonly writer: WriteBatcher;
  private readonly appender: AppendBatcher;
  private readonly logger = new Logger('ClamatorStreams');
  private readonly scripts = new ScriptSupport((message) => this.logger.warn(message));
  private readonly scriptLoader = new ScriptLoader([REPLY_AND_ACK_SCRIPT, APPEND_ENTRIES_SCRIPT], this.scripts);
  private readonly detachers = new Set<() => void>();
  private readonly maintenance: GroupMaintenance;
  private readonly entries: PendingEntries;
  private closing: Promise<void> | undefined;
  private operationsHelper: StreamOperations | undefined;

  constructor(@Inject(CLAMATOR_STREAMS_OPTIONS) options: ClamatorStreamsOptions) {
    const rules = new OptionRules('ClamatorStreamsService');
    rules.onlyKnown(options, STREAMS_OPTION_NAMES);
    const connection = resolveConnectionSource(rules, options);
    const replyStreamMaxLen = rules.integer('replyStreamMaxLen', options.replyStreamMaxLen, DEFAULTS.replyStreamMaxLen, 1);
    const replyStreamTtlMs = rules.integer('replyStreamTtlMs', options.replyStreamTtlMs, DEFAULTS.replyStreamTtlMs, 1000, Number.MAX_SAFE_INTEGER, 'milliseconds');
    this.keys = new ClamatorKeys(connection.keyPrefix);
    this.maintenance = new GroupMaintenance(() => this.connection, this.keys);
    this.entries = new PendingEntries(() => this.connection, this.keys);
    this.connections = new RedisConnections(connection, options.connectionName ?? 'clamator');
    const slots = this.connections.isCluster ? new KeySlots() : undefined;
    this.writer = new WriteBatcher(() => this.connection, replyStreamMaxLen, replyStreamTtlMs, this.logger, this.scripts, slots);
    this.appender = new AppendBatcher(() => this.connection, this.scripts, slots);
  }

  /** The connection for non-blocking commands: the injected one, or one opened on first use. */
  get connection(): RedisConnection {
    const connection = this.connections.command;
    this.scriptLoader.follow(connection);
    return connection;
  }

  /**
   * The command connection when one is open (an injected one always is), without opening one as
   * `connection` would: for health checks, which must not connect what was never connected.
   * `undefined` before first use and after `close()`.
   */
  openedConnection(): RedisConnection | undefined {
    return this.connections.openedCommand;
  }

  /** Where the command connection points, fit for logs and errors (no password). */
  describeEndpoint(): string {
    return describeRedisEndpoint(this.connection);
  }

  /**
   * Resolves once Redis answered on the command connection; rejects with `ClamatorTransportError`
   * naming the endpoint and the cause when that takes longer than `wait.timeoutMs`.
   */
  whenReady(wait: ReadinessWait): Promise<void> {
    return waitUntilReady(this.connection, wait);
  }

  /**
   * Reports `connected`, `reconnecting` and `disconnected` as the command connection comes and goes,
   * whether it was opened here or injected (a Sentinel-backed connection waiting out a failover
   * says so too), until the returned function is called or this service closes.
   */
  watchConnectionState(report: (state: ClamatorStatus) => void): () => void {
    const unfollow = followConnectionStatus(this.connection, report);
    const detach = () => {
      unfollow();
      this.detachers.delete(detach);
    };
    this.detachers.add(detach);
    return detach;
  }

  /** Sets who hears of handled entries left pending because their reply (or acknowledgement) could not be written. */
  onUnstoredWrites(listener: UnstoredWritesListener): void {
    this.writer.onUnstored(listener);
  }

  /** Opens a dedicated connection for a blocking read loop; close it with `closeBlockingConnection`. */
  openBlockingConnection(purpose: string): RedisConnection {
    return this.connections.openBlocking(purpose);
  }

  /** Closes a blocking connection at once; a read blocked on it fails with "Connection is closed". */
  closeBlockingConnection(connection: RedisConnection): void {
    this.connections.closeBlocking(connection);
  }

  /** The server-side id of a connection (`CLIENT ID`), for `unblock`; `undefined` when not permitted. */
  clientId(connection: RedisConnection): Promise<number | undefined> {
    return clientIdOf(connection);
  }

  /**
   * Ends a blocking read of the connection with this id as if it had timed out (`CLIENT UNBLOCK`),
   * so that it returns without entries: a read cut off by closing its connection instead may have
   * had entries delivered to it that then wait for a reclaim. False when not permitted.
   */
  unblock(clientId: number): Promise<boolean> {
    return unblockClient(this.connection, clientId);
  }

  /**
   * Creates the consumer group of `service` (and its stream) unless it exists. A group created here
   * starts at the beginning of the stream, so that requests and notifications written before any
   * server existed (or after Redis restarted empty) are served; a group that exists, made by
   * whichever peer came first, keeps its own start.
   */
  async ensureGroup(service: string, startId: '$' | '0' = '0', group = this.keys.group(service)): Promise<void> {
    try {
      await followingRedirects(() => this.connection.xgroup('CREATE', this.keys.commandStream(service), group, startId, 'MKSTREAM'));
    } catch (error) {
      if (!isBusyGroup(error)) throw error;
    }
  }

  /**
   * Reads new entries for `consumer` of `group` (the service's own by default) (`XREADGROUP ... >`),
   * waiting up to `blockMs` on `connection`.
   */
  async readGroup(
    connection: RedisConnection, service: string, consumer: string, count: number, blockMs: number, group = this.keys.group(service),
  ): Promise<StreamEntry[]> {
    const stream = this.keys.commandStream(service);
    const args = ['GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, '>'] as const;
    // Replies and acknowledgements waiting to go out travel with the read, in one write; on a
    // cluster only those of the stream's own slot may (the read's node), the rest go out apart.
    if (this.writer.queued > 0 && !this.writer.fitsWith(stream)) this.writer.flushNow();
    const reply =
      this.writer.queued > 0
        ? await this.writer.sendBefore(connection, (pipeline) => pipeline.xreadgroup(...args))
        : await connection.xreadgroup(...args);
    return parseReadReply(reply);
  }

  /**
   * A read loop that just received entries holds the replies and acknowledgements of the handlers
   * that finish without I/O, to send them with its next read (`readGroup`); `releaseWrites` ends the hold.
   */
  holdWrites(): void {
    this.writer.hold();
  }

  /** Ends a `holdWrites`; what the next read does not take along is flushed on the next tick. */
  releaseWrites(): void {
    this.writer.release();
  }

  /** Appends a request; returns the entry id. */
  addRequest(service: string, envelope: string, replyTo: string): Promise<string> {
    return appendEntry(this.connection, this.keys.commandStream(service), envelope, replyTo);
  }

  /**
   * Appends a request together with the others sent in the same tick (one command for all of them).
   * `settle` is called once: with the error when it could not be written, else with nothing. The
   * entry is the same as `addRequest` writes, plus a `metadata` field holding `metadata` (JSON) when given.
   */
  sendRequest(service: string, envelope: string, replyTo: string, settle: (error?: Error) => void, metadata?: string): void {
    this.appender.append({ streamKey: this.keys.commandStream(service), envelope, replyTo, settle, metadata });
  }

  /**
   * Appends a notification together with the others sent in the same tick. `settle` is called once
   * (a second call, after `close()` gave up on the write, is possible and must be ignored): with the
   * error when it could not be written, else with nothing. `metadata` (JSON) goes in a `metadata` field.
   */
  sendNotification(service: string, envelope: string, settle: (error?: Error) => void, metadata?: string): void {
    this.appender.append({ streamKey: this.keys.commandStream(service), envelope, replyTo: undefined, settle, metadata });
  }

  /** Appends a notification (no `reply-to`); returns the entry id. */
  addNotification(service: string, envelope: string): Promise<string> {
    return appendEntry(this.connection, this.keys.commandStream(service), envelope);
  }

  /**
   * Writes the reply of a handled entry and acknowledges the entry once the reply is stored, in one
   * round trip shared with the other entries finished in the same turn. Without `replyTo` it only
   * acknowledges. An entry whose reply Redis refuses stays pending (the `onUnstoredWrites` listener
   * hears of it), unless `ackWithoutReply` is set. `flushWrites()` resolves once everything queued was sent.
   */
  replyAndAck(
    service: string, entryId: string, replyTo?: string, envelope?: string, ackWithoutReply = false, group = this.keys.group(service),
  ): void {
    this.writer.write(this.keys.commandStream(service), group, entryId, replyTo, envelope, ackWithoutReply);
  }

  /** Acknowledges entries at once (outside the batch), in `group` (the service's own by default). */
  ack(service: string, entryIds: readonly string[], group = this.keys.group(service)): Promise<number> {
    return this.entries.ack(service, entryIds, group);
  }

  /** Takes over entries of `group` idle longer than `minIdleMs` (`XAUTOCLAIM`), starting at `cursor`. */
  autoClaim(
    service: string, consumer: string, minIdleMs: number, cursor: string, count: number, group = this.keys.group(service),
  ): Promise<AutoClaimResult> {
    return this.entries.autoClaim(service, consumer, minIdleMs, cursor, count, group);
  }

  /** The raw bytes of a field of one entry of the command stream of `service` (see `PendingEntries.rawField`). */
  rawField(service: string, entryId: string, field: string): Promise<Buffer | undefined> {
    return this.entries.rawField(service, entryId, field);
  }

  /** Delivery counts and owners of pending entries in `[fromId, toId]` of `group`, for one consumer when given. */
  pending(
    service: string, fromId: string, toId: string, count: number, consumer?: string, group = this.keys.group(service),
  ): Promise<PendingEntryInfo[]> {
    return this.entries.pending(service, fromId, toId, count, consumer, group);
  }

  /** Resets the idle time of entries this consumer is still handling (see `PendingEntries.refreshClaims`). */
  refreshClaims(service: string, consumer: string, entryIds: readonly string[], group = this.keys.group(service)): Promise<void> {
    return this.entries.refreshClaims(service, consumer, entryIds, group);
  }

  /** Copies an entry that will not be run again to `<keyPrefix>:dead:<service>` (see `PendingEntries.deadLetter`). */
  deadLetter(service: string, entry: StreamEntry, reason: string, deliveryCount: number): Promise<string> {
    return this.entries.deadLetter(service, entry, reason, deliveryCount);
  }

  /**
   * Trims from the command stream of `service` the entries every group has acknowledged; entries
   * pending or not yet delivered to some group are never removed, with one exception: a
   * subscription group none of whose readers has been alive for `staleSubscriptionMs` (see
   * `touchSubscription`) no longer holds the stream back, and `onStale` hears of it.
   * Returns the number of entries removed.
   */
  trimAcknowledged(service: string, stale?: StaleSubscriptions): Promise<number> {
    return this.maintenance.trimAcknowledged(service, stale);
  }

  /**
   * Says that a reader of `subscription` on `service` is alive now (its heartbeat key), so that
   * trimming keeps holding the stream for it. Expires after a week, when nobody says it again.
   */
  touchSubscription(service: string, subscription: string): Promise<void> {
    return this.maintenance.touchSubscription(service, subscription);
  }

  /** Consumers of `group` (the service's own by default) with their pending counts and idle times. */
  consumers(service: string, group = this.keys.group(service)): Promise<ConsumerInfo[]> {
    return this.maintenance.consumers(service, group);
  }

  /**
   * Every consumer group of the command stream of `service` (`XINFO GROUPS`): the service's own and
   * its subscriptions', with their pending counts and lag. Empty when the stream does not exist.
   */
  groupStates(service: string): Promise<GroupInfo[]> {
    return this.maintenance.groupStates(service);
  }

  /**
   * Removes consumers idle longer than `idleMs` that own no pending entry (dead servers), sparing
   * `keep` (when given). Each removal re-checks and deletes atomically (a script), so an entry
   * delivered in between is never dropped from the pending list. Returns the names removed.
   */
  removeIdleConsumers(service: string, idleMs: number, keep?: string, group = this.keys.group(service)): Promise<string[]> {
    return this.maintenance.removeIdleConsumers(service, idleMs, keep, group);
  }

  /**
   * What operators read and repair under the prefix (services, groups, pending entries, lag, dead
   * letters, reply streams; replaying dead letters, removing orphan reply streams), on this connection.
   */
  get operations(): StreamOperations {
    this.operationsHelper ??= new StreamOperations(() => this.connection, this.keys);
    return this.operationsHelper;
  }

  /** Reads replies after `lastId` from a reply stream, waiting up to `blockMs` on `connection`. */
  async readReplies(connection: RedisConnection, replyStream: string, lastId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const read = () => connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', replyStream, lastId);
    // Requests of the callers the last replies resumed travel with the read, in one write, where they can.
    return parseReadReply(this.appender.queued > 0 ? await this.appender.sendBefore(connection, read) : await read());
  }

  /** A reply reader resumes callers: their requests wait to leave with its next `readReplies`. */
  holdAppends(): void {
    this.appender.hold();
  }

  /** Ends a `holdAppends`; what the next read does not take along is sent on the next tick. */
  releaseAppends(): void {
    this.appender.release();
  }

  /**
   * Removes from a reply stream what its reader has read (`XTRIM MINID ~`: whole nodes below
   * `readUpToId` only), so that the stream holds about what is still unread.
   */
  async trimRead(replyStream: string, readUpToId: string): Promise<void> {
    await this.connection.xtrim(replyStream, 'MINID', '~', readUpToId);
  }

  /** Deletes a stream (a client's reply stream on close). */
  async deleteStream(key: string): Promise<void> {
    await this.connection.del(key);
  }

  /** Resolves when every queued reply, acknowledgement, request and notification has been sent. */
  async flushWrites(): Promise<void> {
    await Promise.all([this.writer.drain(), this.appender.drain()]);
  }

  /**
   * Sends what is queued (for up to `CLOSE_FLUSH_BOUND_MS`: Redis may be down, frozen or paused),
   * then closes the connections opened here. Requests and notifications Redis has not confirmed by
   * then are settled with an error. Settles in bounded time whatever Redis does. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await settlesWithin(this.flushWrites(), CLOSE_FLUSH_BOUND_MS);
    for (const detach of [...this.detachers]) detach();
    this.scriptLoader.stop();
    await this.connections.close();
    this.appender.abandon(new Error('the connection was closed before Redis confirmed the write'));
  }

  /** Nest lifecycle: closes on application shutdown when provided through DI. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

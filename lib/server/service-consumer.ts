import type { LoggerService } from '@nestjs/common';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import { DEFAULTS, MIN_RECLAIM_INTERVAL_MS } from '../protocol/constants.js';
import { backoffDelayMs, sleep } from '../streams/connections/backoff.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import type { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import type { StreamEntry } from '../streams/stream-replies.js';
import type { EntryHandling, EntryOutcome } from './entry-processor.js';
import { WriteFailures } from './write-failures.js';

/** How one service's consumer reads and runs its entries. */
export interface ServiceConsumerSettings {
  readonly service: string;
  /** The consumer group read: the service's own, or a subscription's. */
  readonly group: string;
  /** The subscription the group reads for; `undefined` for the service's own group. */
  readonly subscription?: string;
  readonly consumer: string;
  readonly concurrency: number;
  readonly readCount: number;
  readonly blockMs: number;
  readonly consumerClaimIdleMs: number;
  readonly maxDeliveries: number;
  readonly deadConsumerIdleMs: number;
  readonly staleSubscriptionMs: number;
  readonly maintenanceIntervalMs: number;
}

/** Reports that the read loop lost or regained Redis. */
export type ConnectionStateListener = (state: 'connected' | 'reconnecting') => void;

interface QueuedEntry {
  readonly entry: StreamEntry;
  readonly deliveryCount: number;
}

/**
 * Claims of entries held (queued or running) are refreshed once they are this old, so that their
 * idle time stays under about 0.75 s: a peer in the group whose claim threshold is 1 s or more
 * never takes live work over, whatever this server's own `consumerClaimIdleMs`.
 */
export const CLAIM_REFRESH_MAX_MS = 500;

/**
 * On close, how long ending a blocked read may take: CLIENT UNBLOCK and the read's return, each.
 * Past it (Redis down, frozen or paused) the read's connection is closed instead.
 */
export const STOP_READ_BOUND_MS = 500;

/** How often the servers of a subscription say that they are alive (its heartbeat key), while they run. */
export const SUBSCRIPTION_HEARTBEAT_MS = 1_000;


/**
 * One service's consumer in its group: a read loop on a dedicated connection, a bounded queue
 * drained by up to `concurrency` handlers (one at a time keeps arrival order), a reclaim pass that
 * takes over entries of dead consumers, and a refresher that keeps the claim of entries it still
 * holds fresh so they are not taken over while they run.
 */
export class ServiceConsumer {
  private readonly queue: QueuedEntry[] = [];
  /** Entries delivered to this consumer and not yet acknowledged, with the time their claim was last refreshed. */
  private readonly held = new Map<string, number>();
  private active = 0;
  private stopping = false;
  private abandoned = false;
  private readonly stop$ = new AbortController();
  private readConnection: RedisConnection | undefined;
  private readClientId: number | undefined;
  private readLoop: Promise<void> | undefined;
  private wakeReader: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private reclaimCursor = '0-0';
  private reclaiming = false;
  private batchSize: number;
  /** How log lines name this consumer's service (and subscription). */
  private readonly label: string;
  /** Stale subscription groups reported already, so that each is reported once. */
  private readonly reportedStale = new Set<string>();
  /** Entries left pending because their reply could not be stored, with Redis's reason. */
  private readonly writeFailures = new WriteFailures();

  constructor(
    private readonly settings: ServiceConsumerSettings,
    private readonly streams: ClamatorStreamsService,
    private readonly processor: EntryHandling,
    private readonly logger: LoggerService,
    private readonly onConnectionState: ConnectionStateListener,
    /** Hears of every entry this consumer moves to the dead-letter stream (for metrics). Default: nobody. */
    private readonly onDeadLetter: () => void = () => undefined,
  ) {
    this.batchSize = settings.readCount;
    this.label =
      settings.subscription === undefined
        ? `Service "${settings.service}"`
        : `Subscription "${settings.subscription}" of service "${settings.service}"`;
  }

  /** The service whose command stream this consumer reads. */
  get service(): string {
    return this.settings.service;
  }

  /** The consumer group it reads in. */
  get group(): string {
    return this.settings.group;
  }

  /** Starts reading (the group exists: the server created it), reclaiming and refreshing claims. */
  start(): void {
    const { service, subscription } = this.settings;
    const connection = this.streams.openBlockingConnection(subscription === undefined ? `read:${service}` : `read:${service}:${subscription}`);
    this.readConnection = connection;
    // The id changes with every reconnect; stop() uses it to end a blocked read cleanly.
    connection.on('ready', () => {
      this.readClientId = undefined;
      void this.streams.clientId(connection).then((id) => (this.readClientId = id));
    });
    this.readLoop = this.runReadLoop(connection);
    const idle = this.settings.consumerClaimIdleMs;
    const refreshAgeMs = this.claimRefreshAgeMs;
    this.timers.push(setInterval(() => void this.reclaim(), Math.max(MIN_RECLAIM_INTERVAL_MS, Math.floor(idle / 4))));
    this.timers.push(setInterval(() => void this.refreshClaims(), Math.max(25, Math.floor(refreshAgeMs / 2))));
    this.timers.push(setInterval(() => void this.maintain(), this.settings.maintenanceIntervalMs));
    if (subscription !== undefined) this.timers.push(setInterval(() => void this.heartbeat(subscription), SUBSCRIPTION_HEARTBEAT_MS));
    for (const timer of this.timers) timer.unref();
  }

  /** How old a held entry's claim may get before it is refreshed: a third of the claim threshold, and never more than CLAIM_REFRESH_MAX_MS. */
  private get claimRefreshAgeMs(): number {
    return Math.min(CLAIM_REFRESH_MAX_MS, Math.floor(this.settings.consumerClaimIdleMs / 3));
  }

  /**
   * Hears that the writes of an entry handled here failed: it stays pending and comes back; when it
   * comes back once too often, its dead letter says why.
   */
  writeFailed(entryId: string, reason: string): void {
    this.writeFailures.remember(entryId, reason);
  }

  /** Entries queued or running right now. */
  get load(): number {
    return this.queue.length + this.active;
  }

  /**
   * Stops reading at once, lets queued and running entries finish for up to `graceMs`, then stops.
   * Entries still unfinished stay pending in the group, to be reclaimed and run again.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stop$.abort();
    this.wakeReader?.();
    await this.endReadLoop();
    const finished = await settlesWithin(this.whenIdle(), graceMs);
    if (!finished) {
      this.logger.warn(
        `${this.label}: ${this.load} entries still unfinished after shutdownGraceMs (${graceMs} ms); ` +
          'they stay pending and will be reclaimed by another server.',
      );
    }
    this.abandoned = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /**
   * Ends the read loop in bounded time: a blocked read is unblocked (it returns no entries, so none
   * is left delivered-but-unseen); without CLIENT UNBLOCK (not permitted; a cluster), or when Redis
   * does not answer it in time (down, frozen, paused), the read is cut off by closing its connection. Entries a
   * cut-off read had been given stay pending and are reclaimed.
   */
  private async endReadLoop(): Promise<void> {
    const connection = this.readConnection;
    const loop = this.readLoop;
    if (!connection || !loop) return;
    const clientId = this.readClientId;
    if (clientId !== undefined && connection.status === 'ready' && this.streams.connection.status === 'ready') {
      const unblocking = this.streams.unblock(clientId);
      // The loop sees `stopping` as soon as its read returns.
      if ((await settlesWithin(unblocking, STOP_READ_BOUND_MS)) && (await unblocking)) await settlesWithin(loop, STOP_READ_BOUND_MS);
    }
    this.streams.closeBlockingConnection(connection);
    // A read waiting in ioredis's offline queue (Redis away) is never answered: the loop is not waited for then.
    await settlesWithin(loop, STOP_READ_BOUND_MS);
  }

  /**
   * Reads in batches of `readCount`, doubled (up to 4x) while reads come back full, so that a
   * backlog costs few round trips. Up to two batches may wait in the queue; the loop reads again
   * once a whole batch fits, rather than at the first free slot.
   */
  private async runReadLoop(connection: RedisConnection): Promise<void> {
    const { service, consumer, readCount, blockMs } = this.settings;
    const maxBatch = readCount * 4;
    let failures = 0;
    while (!this.stopping) {
      if (this.room < this.batchSize) {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
        this.wakeReader = undefined;
        continue;
      }
      try {
        const entries = await this.streams.readGroup(connection, service, consumer, this.batchSize, blockMs, this.settings.group);
        if (failures > 0) this.onConnectionState('connected');
        failures = 0;
        this.batchSize = entries.length === this.batchSize ? Math.min(this.batchSize * 2, maxBatch) : readCount;
        if (entries.length > 0) {
          // Handlers that need no I/O finish before the next macrotask: their replies then leave with the next read.
          this.streams.holdWrites();
          for (const entry of entries) this.enqueue(entry, 1);
          await new Promise<void>((resolve) => setImmediate(resolve));
          this.streams.releaseWrites();
        }
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        await this.recoverFromReadError(error as Error, failures);
      }
    }
  }

  /** Free places for fetched entries: `concurrency` running plus two batches waiting. */
  private get room(): number {
    return this.settings.concurrency + 2 * this.batchSize - this.load;
  }

  private async recoverFromReadError(error: Error, failures: number): Promise<void> {
    if (error.message.startsWith('NOGROUP')) {
      this.logger.warn(`${this.label}: consumer group missing, creating it again.`);
      await this.streams.ensureGroup(this.settings.service, '0', this.settings.group).catch(() => undefined);
      return;
    }
    if (failures === 1) {
      this.logger.error(`${this.label}: read failed (${error.message}); retrying with backoff.`);
      this.onConnectionState('reconnecting');
    }
    await sleep(backoffDelayMs(failures), this.stop$.signal);
  }

  private enqueue(entry: StreamEntry, deliveryCount: number): void {
    if (this.held.has(entry.id)) return;
    this.held.set(entry.id, Date.now());
    this.queue.push({ entry, deliveryCount });
    this.pump();
  }

  private pump(): void {
    while (this.active < this.settings.concurrency && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedEntry;
      this.active += 1;
      void this.run(next);
    }
  }

  private async run({ entry, deliveryCount }: QueuedEntry): Promise<void> {
    let outcome: EntryOutcome | undefined;
    let deadLettered = false;
    const writeFailure = this.writeFailures.take(entry.id);
    try {
      if (deliveryCount > this.settings.maxDeliveries) {
        outcome = await this.deadLetter(entry, deliveryCount, writeFailure);
        deadLettered = true;
      } else {
        outcome = await this.processor.process(entry, deliveryCount);
        if (outcome.deadLetterReason) await this.keepAsDeadLetter(entry, outcome.deadLetterReason, deliveryCount);
      }
    } catch (error) {
      this.logger.error(
        `${this.label}: entry ${entry.id} left pending for a retry: ${(error as Error).message}`,
      );
      // Still unanswered: its next dead letter should still say why its reply was lost.
      if (writeFailure !== undefined) this.writeFailed(entry.id, writeFailure);
    }
    this.active -= 1;
    // The entry is acknowledged in the write that follows; its claim needs no refresh from here on.
    this.held.delete(entry.id);
    if (outcome && !this.abandoned) {
      // A dead-lettered entry is acknowledged even if its error reply cannot be stored: its copy is kept.
      this.streams.replyAndAck(this.settings.service, entry.id, outcome.replyTo, outcome.envelope, deadLettered, this.settings.group);
    }
    this.pump();
    if (this.wakeReader && this.room >= this.batchSize) this.wakeReader();
    if (this.load === 0) this.notifyIdle();
  }

  /**
   * Moves an entry delivered more than `maxDeliveries` times to the dead-letter stream and answers
   * its caller. When the copy cannot be written the entry stays pending (no outcome is acknowledged).
   */
  private async deadLetter(entry: StreamEntry, deliveryCount: number, writeFailure: string | undefined): Promise<EntryOutcome> {
    const { subscription, maxDeliveries } = this.settings;
    const delivered =
      (subscription === undefined ? '' : `subscription "${subscription}": `) +
      `delivered ${deliveryCount} times, more than maxDeliveries (${maxDeliveries})`;
    const reason = writeFailure ? `${delivered}; the last reply could not be stored: ${writeFailure}` : delivered;
    await this.keepAsDeadLetter(entry, reason, deliveryCount);
    return this.processor.refuse(entry, reason, { deliveryCount });
  }

  /** Copies an entry that will not be run to the dead-letter stream, with one log line. */
  private async keepAsDeadLetter(entry: StreamEntry, reason: string, deliveryCount: number): Promise<void> {
    const { service } = this.settings;
    await this.streams.deadLetter(service, entry, reason, deliveryCount);
    this.onDeadLetter();
    this.logger.error(`${this.label}: entry ${entry.id}: ${reason}; moved to ${this.streams.keys.deadLetterStream(service)}.`);
  }

  /** Trims acknowledged entries and removes consumers of servers that are gone. */
  private async maintain(): Promise<void> {
    if (this.stopping) return;
    const { service, consumer, group, deadConsumerIdleMs, staleSubscriptionMs } = this.settings;
    try {
      await this.streams.trimAcknowledged(service, { staleSubscriptionMs, onStale: (stale) => this.reportStale(stale) });
      const removed = await this.streams.removeIdleConsumers(service, deadConsumerIdleMs, consumer, group);
      if (removed.length > 0) this.logger.log(`${this.label}: removed idle consumers ${removed.join(', ')}.`);
    } catch (error) {
      if (!this.stopping) this.logger.warn(`${this.label}: maintenance failed: ${(error as Error).message}`);
    }
  }

  /** Says that this subscription has a live reader; a failure is for the next beat (or the read loop) to notice. */
  private async heartbeat(subscription: string): Promise<void> {
    if (this.stopping) return;
    await this.streams.touchSubscription(this.settings.service, subscription).catch(() => undefined);
  }

  /** Says once that a subscription group nobody reads for any more no longer holds the stream back. */
  private reportStale(group: string): void {
    if (this.reportedStale.has(group)) return;
    this.reportedStale.add(group);
    this.logger.warn(
      `Service "${this.settings.service}": consumer group "${group}" has had no active reader for more than ` +
        `staleSubscriptionMs (${this.settings.staleSubscriptionMs} ms); it no longer holds back trimming of the stream, ` +
        'and notifications it has not read may be trimmed away.',
    );
  }

  private whenIdle(): Promise<void> {
    if (this.load === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Takes over entries that other (dead) consumers left pending past the claim threshold. */
  private async reclaim(): Promise<void> {
    if (this.reclaiming || this.stopping) return;
    this.reclaiming = true;
    const { service, consumer, consumerClaimIdleMs } = this.settings;
    try {
      const room = this.room;
      if (room <= 0) return;
      const claimed = await this.streams.autoClaim(
        service, consumer, consumerClaimIdleMs, this.reclaimCursor, Math.min(room, DEFAULTS.autoClaimCount), this.settings.group,
      );
      this.reclaimCursor = claimed.cursor;
      if (claimed.deletedIds.length > 0) {
        this.logger.warn(`${this.label}: entries ${claimed.deletedIds.join(', ')} were deleted while pending; acknowledged.`);
        await this.streams.ack(service, claimed.deletedIds, this.settings.group);
      }
      const fresh = claimed.entries.filter((entry) => !this.held.has(entry.id));
      if (fresh.length === 0 || this.stopping) return;
      const counts = await this.deliveryCounts(fresh);
      this.logger.warn(`${this.label}: reclaimed ${fresh.length} entries left by another consumer.`);
      for (const entry of fresh) this.enqueue(entry, counts.get(entry.id) ?? 2);
    } catch (error) {
      if (!this.stopping) this.logger.error(`${this.label}: reclaim pass failed: ${(error as Error).message}`);
    } finally {
      this.reclaiming = false;
    }
  }

  private async deliveryCounts(entries: StreamEntry[]): Promise<Map<string, number>> {
    const { service, consumer } = this.settings;
    const pending = await this.streams.pending(
      service, entries[0].id, entries[entries.length - 1].id, entries.length * 2, consumer, this.settings.group,
    );
    return new Map(pending.map((info) => [info.id, info.deliveryCount]));
  }

  /** Keeps the claim of held entries fresh so that no other consumer takes them over while they wait or run. */
  private async refreshClaims(): Promise<void> {
    if (this.held.size === 0) return;
    const threshold = Date.now() - this.claimRefreshAgeMs;
    const stale: string[] = [];
    for (const [id, refreshedAt] of this.held) if (refreshedAt <= threshold) stale.push(id);
    if (stale.length === 0) return;
    const now = Date.now();
    for (const id of stale) if (this.held.has(id)) this.held.set(id, now);
    try {
      await this.streams.refreshClaims(this.settings.service, this.settings.consumer, stale, this.settings.group);
    } catch (error) {
      this.logger.error(`${this.label}: could not refresh claims: ${(error as Error).message}`);
    }
  }
}

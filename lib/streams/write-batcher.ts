import type { ChainableCommander, Redis } from 'ioredis';
import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../protocol/constants.js';

/** What one handled entry leaves to write: maybe a reply, always an acknowledgement. */
interface PendingWrite {
  readonly streamKey: string;
  readonly group: string;
  readonly entryId: string;
  readonly replyTo: string | undefined;
  readonly envelope: string | undefined;
}

/** Receives the outcome of a flush (for logging); never throws. */
export type WriteFailureListener = (message: string, entryIds: readonly string[]) => void;

/**
 * Collects the replies and acknowledgements of entries finished before the next tick (all the
 * entries of a read whose handlers need no I/O finish in one chain of promise jobs) and sends them
 * in one pipeline: every reply XADD (with its stream's expiry refreshed once), then one XACK per
 * command stream. Replies precede the acknowledgement of their entry in the pipeline, so an entry
 * is never acknowledged before its reply was written.
 *
 * A read loop about to read again can take the batch along (`sendBefore`): the writes and its next
 * XREADGROUP then leave in one write on its own connection. While a loop gathers (`hold`), the
 * batch waits for it instead of being flushed on the command connection.
 */
export class WriteBatcher {
  private batch: PendingWrite[] = [];
  private scheduled = false;
  private holds = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly connection: () => Redis,
    private readonly replyStreamMaxLen: number,
    private readonly replyStreamTtlMs: number,
    private readonly onFailure: WriteFailureListener,
  ) {}

  /** Queues a reply (when `replyTo` is set) and the acknowledgement of `entryId`; `drain()` waits for them. */
  write(streamKey: string, group: string, entryId: string, replyTo?: string, envelope?: string): void {
    this.batch.push({ streamKey, group, entryId, replyTo, envelope });
    this.schedule();
  }

  /** Writes queued and not yet sent. */
  get queued(): number {
    return this.batch.length;
  }

  /** A read loop starts gathering: writes wait for its `sendBefore` (or its `release`). */
  hold(): void {
    this.holds += 1;
  }

  /** The gathering loop is done; whatever it did not take is flushed on the next tick. */
  release(): void {
    this.holds -= 1;
    this.schedule();
  }

  /**
   * Sends the queued writes on `connection` followed by the command `read` adds, in one pipeline,
   * and resolves with that command's result (rejects with its error).
   */
  async sendBefore(connection: Redis, read: (pipeline: ChainableCommander) => void): Promise<unknown> {
    const batch = this.batch;
    this.batch = [];
    const pipeline = connection.pipeline();
    this.appendWrites(pipeline, batch);
    read(pipeline);
    const sent = pipeline.exec();
    this.track(sent);
    const results = (await sent) ?? [];
    const last = results.pop();
    this.report(batch, results);
    if (!last) throw new Error('pipeline returned no reply for the read');
    if (last[0]) throw last[0];
    return last[1];
  }

  /** Resolves when everything queued so far has been sent. */
  async drain(): Promise<void> {
    if (this.batch.length > 0) this.flushBatch(true);
    await Promise.allSettled(this.inFlight);
  }

  private schedule(): void {
    if (this.scheduled || this.holds > 0 || this.batch.length === 0) return;
    this.scheduled = true;
    process.nextTick(() => this.flushBatch(false));
  }

  private flushBatch(force: boolean): void {
    this.scheduled = false;
    if (this.holds > 0 && !force) return;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const pipeline = this.connection().pipeline();
    this.appendWrites(pipeline, batch);
    const sent = pipeline.exec().then(
      (results) => this.report(batch, results ?? []),
      (error: Error) => this.onFailure(`reply/ack pipeline failed: ${error.message}`, batch.map((w) => w.entryId)),
    );
    this.track(sent);
  }

  private track(sent: Promise<unknown>): void {
    const tracked = sent.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private appendWrites(pipeline: ChainableCommander, batch: PendingWrite[]): void {
    if (batch.length === 0) return;
    const acks = new Map<string, { group: string; ids: string[] }>();
    const replyKeys = new Set<string>();
    for (const write of batch) {
      if (write.replyTo !== undefined && write.envelope !== undefined) {
        pipeline.xadd(write.replyTo, 'MAXLEN', '~', this.replyStreamMaxLen, '*', FIELD_TYPE, TYPE_RPC, FIELD_ENVELOPE, write.envelope);
        replyKeys.add(write.replyTo);
      }
      const ack = acks.get(write.streamKey);
      if (ack) ack.ids.push(write.entryId);
      else acks.set(write.streamKey, { group: write.group, ids: [write.entryId] });
    }
    for (const key of replyKeys) pipeline.pexpire(key, this.replyStreamTtlMs);
    for (const [key, { group, ids }] of acks) pipeline.xack(key, group, ...ids);
  }

  private report(batch: PendingWrite[], results: Array<[Error | null, unknown]>): void {
    const errors = results.filter(([error]) => error).map(([error]) => (error as Error).message);
    if (errors.length > 0) {
      this.onFailure(`reply/ack pipeline: ${[...new Set(errors)].join('; ')}`, batch.map((w) => w.entryId));
    }
  }
}

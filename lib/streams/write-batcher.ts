import type { Redis } from 'ioredis';
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
 * in one pipeline: every reply XADD (with its stream's expiry refreshed once), then
 * one XACK per command stream. Replies precede the acknowledgement of their entry in the pipeline,
 * so an entry is never acknowledged before its reply was written.
 */
export class WriteBatcher {
  private batch: PendingWrite[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly connection: () => Redis,
    private readonly replyStreamMaxLen: number,
    private readonly replyStreamTtlMs: number,
    private readonly onFailure: WriteFailureListener,
  ) {}

  /** Queues a reply (when `replyTo` is set) and the acknowledgement of `entryId`; `drain()` waits for them. */
  write(streamKey: string, group: string, entryId: string, replyTo?: string, envelope?: string): void {
    this.batch.push({ streamKey, group, entryId, replyTo, envelope });
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flushBatch());
    }
  }

  /** Resolves when everything queued so far has been sent. */
  async drain(): Promise<void> {
    if (this.batch.length > 0) this.flushBatch();
    await Promise.all(this.inFlight);
  }

  private flushBatch(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const sent = this.send(batch).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private async send(batch: PendingWrite[]): Promise<void> {
    const pipeline = this.connection().pipeline();
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
    try {
      const results = (await pipeline.exec()) ?? [];
      const errors = results.filter(([error]) => error).map(([error]) => (error as Error).message);
      if (errors.length > 0) {
        this.onFailure(`reply/ack pipeline: ${[...new Set(errors)].join('; ')}`, batch.map((w) => w.entryId));
      }
    } catch (error) {
      this.onFailure(`reply/ack pipeline failed: ${(error as Error).message}`, batch.map((w) => w.entryId));
    }
  }
}

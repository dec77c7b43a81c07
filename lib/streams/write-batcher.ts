import type { LoggerService } from '@nestjs/common';
import type { ChainableCommander, Redis } from 'ioredis';
import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../protocol/constants.js';
import { chunked, isNoScriptError, isScriptRefusedError, MAX_SCRIPT_BATCH, parseScriptFailures, type ScriptFailure } from './scripts/redis-script.js';
import { type HandledEntryWrite, REPLY_AND_ACK_SCRIPT, replyAndAckCall } from './scripts/reply-and-ack.script.js';

/**
 * Collects the replies and acknowledgements of entries finished before the next tick (all the
 * entries of a read whose handlers need no I/O finish in one chain of promise jobs) and sends them
 * as one command: a script that writes every reply, refreshes each reply stream's expiry and then
 * acknowledges the entries (`REPLY_AND_ACK_SCRIPT`). One command instead of one per reply is most
 * of what a reply costs the server and Redis. A batch with fewer than two replies, or every batch
 * where Redis refuses scripts, goes as a pipeline of XADD, PEXPIRE and XACK instead, replies
 * first, so that an entry is never acknowledged before its reply.
 *
 * A read loop about to read again can take the batch along (`sendBefore`): the writes and its next
 * XREADGROUP then leave in one write on its own connection. While a loop gathers (`hold`), the
 * batch waits for it instead of being flushed on the command connection.
 */
export class WriteBatcher {
  private batch: HandledEntryWrite[] = [];
  private scheduled = false;
  private holds = 0;
  private scripted = true;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly connection: () => Redis,
    private readonly replyStreamMaxLen: number,
    private readonly replyStreamTtlMs: number,
    private readonly logger: LoggerService,
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
    const scripted = this.scripts(batch);
    const chunks = scripted ? chunked(batch, MAX_SCRIPT_BATCH) : [];
    const pipeline = connection.pipeline();
    if (scripted) for (const chunk of chunks) REPLY_AND_ACK_SCRIPT.addTo(pipeline, this.scriptCall(chunk));
    else this.appendPlainWrites(pipeline, batch);
    read(pipeline);
    const sent = pipeline.exec();
    this.track(sent);
    const results = (await sent) ?? [];
    const last = results.pop();
    if (scripted) {
      chunks.forEach((chunk, i) => this.afterScript(chunk, results[i] ?? [new Error('pipeline returned no reply for the writes'), null]));
    } else {
      this.reportPlain(batch, results);
    }
    if (!last) throw new Error('pipeline returned no reply for the read');
    if (last[0]) throw last[0];
    return last[1];
  }

  /** Resolves when everything queued so far has been sent. */
  async drain(): Promise<void> {
    if (this.batch.length > 0) this.flushBatch(true);
    // A batch re-sent after NOSCRIPT or a refusal is tracked while the first attempt settles: wait until none is left.
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
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
    if (this.scripts(batch)) for (const chunk of chunked(batch, MAX_SCRIPT_BATCH)) this.sendScripted(chunk);
    else this.sendPlain(batch);
  }

  /**
   * Whether a batch goes as the script: when it holds two replies or more. A lone reply does not
   * (Redis spends a few microseconds more on a script call than on its three plain commands, on the
   * path a lone caller waits on), nor do acknowledgements alone (one XACK per stream already).
   */
  private scripts(batch: readonly HandledEntryWrite[]): boolean {
    if (!this.scripted) return false;
    let replies = 0;
    for (const write of batch) {
      if (write.replyTo !== undefined && ++replies > 1) return true;
    }
    return false;
  }

  private scriptCall(batch: readonly HandledEntryWrite[]) {
    return replyAndAckCall(batch, this.replyStreamMaxLen, this.replyStreamTtlMs);
  }

  private sendScripted(batch: HandledEntryWrite[]): void {
    this.track(
      REPLY_AND_ACK_SCRIPT.run(this.connection(), this.scriptCall(batch)).then(
        (reply) => this.reportScript(batch, reply),
        (error: Error) => this.afterScript(batch, [error, null]),
      ),
    );
  }

  /** Handles the outcome of a script run that went out in a pipeline (or failed on its own). */
  private afterScript(batch: HandledEntryWrite[], [error, reply]: [Error | null, unknown]): void {
    if (!error) {
      this.reportScript(batch, reply);
    } else if (isNoScriptError(error)) {
      // Redis lost its script cache (restart, SCRIPT FLUSH); nothing ran. `run` sends the body along.
      this.sendScripted(batch);
    } else if (isScriptRefusedError(error)) {
      // Nothing ran: send the same writes as plain commands, and from now on always.
      if (this.scripted) {
        this.scripted = false;
        this.logger.warn(
          `Redis refused the reply script (${error.message}); sending replies and acknowledgements as separate commands. ` +
            'Grant +evalsha and +eval for one command per batch (README, "Security").',
        );
      }
      this.sendPlain(batch);
    } else {
      this.fail(`reply/ack script failed: ${error.message}`, batch);
    }
  }

  private sendPlain(batch: HandledEntryWrite[]): void {
    const pipeline = this.connection().pipeline();
    this.appendPlainWrites(pipeline, batch);
    this.track(
      pipeline.exec().then(
        (results) => this.reportPlain(batch, results ?? []),
        (error: Error) => this.fail(`reply/ack pipeline failed: ${error.message}`, batch),
      ),
    );
  }

  private track(sent: Promise<unknown>): void {
    const tracked = sent.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private appendPlainWrites(pipeline: ChainableCommander, batch: readonly HandledEntryWrite[]): void {
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

  private reportScript(batch: readonly HandledEntryWrite[], reply: unknown): void {
    const failures: ScriptFailure[] = parseScriptFailures(reply);
    if (failures.length === 0) return;
    const messages = [...new Set(failures.map((failure) => `${failure.at}: ${failure.message}`))];
    this.fail(`reply/ack writes failed: ${messages.join('; ')}`, batch);
  }

  private reportPlain(batch: readonly HandledEntryWrite[], results: Array<[Error | null, unknown]>): void {
    const errors = results.filter(([error]) => error).map(([error]) => (error as Error).message);
    if (errors.length > 0) this.fail(`reply/ack pipeline: ${[...new Set(errors)].join('; ')}`, batch);
  }

  private fail(message: string, batch: readonly HandledEntryWrite[]): void {
    const ids = batch.map((write) => write.entryId);
    this.logger.error(`${message} (entries ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})`);
  }
}

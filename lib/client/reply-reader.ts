import type { LoggerService } from '@nestjs/common';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_ENVELOPE } from '../protocol/constants.js';
import { decodeReply } from '../protocol/envelopes.js';
import { ClamatorRpcError } from '../protocol/errors.js';
import type { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { backoffDelayMs, sleep } from '../streams/connections/backoff.js';
import { fieldValue } from '../streams/stream-replies.js';
import type { PendingCalls } from './pending-calls.js';

/** The client trims what it has read from its reply stream after this many replies. */
export const REPLY_TRIM_EVERY = 1_000;

/** How a client's reply stream is read. */
export interface ReplyReading {
  readonly replyStream: string;
  /** Replies per XREAD. */
  readonly readCount: number;
  /** How long one XREAD waits. */
  readonly blockMs: number;
}

/**
 * Reads one client's reply stream and settles its pending calls, until stopped: retries with
 * backoff while Redis is away (reporting `reconnecting`, then `connected`), and trims what it has
 * read now and then, so that the servers' MAXLEN cap never has to.
 */
export class ReplyReader {
  /** For what any writer of the reply stream can cause: one line per kind and interval, not one per entry. */
  private readonly warnings: RateLimitedLog;

  constructor(
    private readonly streams: ClamatorStreamsService,
    private readonly reading: ReplyReading,
    private readonly pending: PendingCalls,
    private readonly logger: LoggerService,
    private readonly report: (state: 'connected' | 'reconnecting') => void,
  ) {
    this.warnings = new RateLimitedLog(logger);
  }

  /** Reads on `connection` until `stop` aborts. */
  async run(connection: RedisConnection, stop: AbortSignal): Promise<void> {
    const { replyStream, readCount, blockMs } = this.reading;
    let lastId = '0-0';
    let failures = 0;
    let readSinceTrim = 0;
    while (!stop.aborted) {
      try {
        const entries = await this.streams.readReplies(connection, replyStream, lastId, readCount, blockMs);
        if (failures > 0) this.report('connected');
        failures = 0;
        if (entries.length > 0) {
          // The callers settled here send their next requests in this turn: held, they leave with the
          // next read, in one write, once the turn is over.
          this.streams.holdAppends();
          try {
            for (const entry of entries) {
              lastId = entry.id;
              this.settle(fieldValue(entry.fields, FIELD_ENVELOPE), entry.id);
            }
            await new Promise<void>((resolve) => setImmediate(resolve));
          } finally {
            this.streams.releaseAppends();
          }
        }
        readSinceTrim += entries.length;
        if (readSinceTrim >= REPLY_TRIM_EVERY) {
          readSinceTrim = 0;
          this.streams.trimRead(replyStream, lastId).catch(() => undefined);
        }
      } catch (error) {
        if (stop.aborted) break;
        failures += 1;
        if (failures === 1) {
          this.logger.error(`Reading replies failed (${(error as Error).message}); retrying with backoff.`);
          this.report('reconnecting');
        }
        await sleep(backoffDelayMs(failures), stop);
      }
    }
  }

  private settle(raw: string | undefined, entryId: string): void {
    const { replyStream } = this.reading;
    const reply = decodeReply(raw);
    if (!reply) {
      this.warnings.warn('not-a-response', `Reply entry ${entryId} on ${replyStream} is not a JSON-RPC response; ignored.`);
      return;
    }
    if (reply.id === null) {
      this.warnings.warn('error-without-id', `Error reply without id on ${replyStream}: ${reply.error?.message} ${JSON.stringify(reply.error?.data)}`);
      return;
    }
    const call = this.pending.take(reply.id);
    if (!call) return; // timed out, unsubscribed or from before a restart: dropped, as peers expect
    if (reply.error) call.reject(new ClamatorRpcError(reply.error.code, reply.error.message, reply.error.data));
    else call.resolve(reply.result);
  }
}

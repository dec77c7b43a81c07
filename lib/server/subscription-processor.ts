import type { LoggerService } from '@nestjs/common';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_ENVELOPE } from '../protocol/constants.js';
import { decodeInbound } from '../protocol/envelopes.js';
import { toJsonRpcError } from '../protocol/errors.js';
import { fieldValue, type StreamEntry } from '../streams/stream-replies.js';
import { ClamatorContext } from './clamator.context.js';
import { entryMetadata } from './entry-metadata.js';
import type { EntryHandling, EntryOutcome } from './entry-processor.js';
import { HandlerTimeout, type HandlerRunner } from './handler-invocation.js';
import type { ServiceHandlers } from './handler-routes.js';

const NOTHING_TO_WRITE: EntryOutcome = {};

/**
 * Runs what a subscription reads through its own consumer group on a service's command stream:
 * the notifications of the methods it subscribes to. Everything else there (requests, other
 * methods, entries that are not valid) belongs to the service's own servers, which answer or
 * dead-letter it: the subscription acknowledges it without a word. A subscription never replies.
 */
export class SubscriptionProcessor implements EntryHandling {
  /** Notifications are written by any peer, as often as it likes: their failures are logged at a bounded rate. */
  private readonly failures: RateLimitedLog;

  constructor(
    private readonly service: string,
    private readonly subscription: string,
    private readonly consumer: string,
    private readonly handlers: ServiceHandlers,
    logger: LoggerService,
    private readonly maxEnvelopeBytes: number,
    private readonly runner: HandlerRunner,
  ) {
    this.failures = new RateLimitedLog(logger);
  }

  async process(entry: StreamEntry, deliveryCount: number): Promise<EntryOutcome> {
    const raw = fieldValue(entry.fields, FIELD_ENVELOPE);
    if (raw === undefined || raw.length > this.maxEnvelopeBytes) return NOTHING_TO_WRITE;
    const inbound = decodeInbound(raw, this.service);
    if (inbound.kind === 'invalid' || inbound.id !== null) return NOTHING_TO_WRITE;
    const handler = this.handlers.get(inbound.method);
    if (!handler) return NOTHING_TO_WRITE;
    const metadata = entryMetadata(entry, this.failures, `Subscription "${this.subscription}"`);
    const context = new ClamatorContext([this.service, inbound.method, null, entry.id, deliveryCount, null, this.consumer, metadata]);
    try {
      await this.runner.run(handler, inbound.params, context);
    } catch (error) {
      const failure = error instanceof HandlerTimeout ? `handler timeout (${error.timeoutMs} ms)` : toJsonRpcError(error).message;
      const detail = error instanceof HandlerTimeout ? '' : ` ${JSON.stringify(toJsonRpcError(error).data)}`;
      this.failures.error(
        `failed:${inbound.method}`,
        `Subscription "${this.subscription}": notification ${this.service}.${inbound.method} (entry ${entry.id}) failed: ${failure}${detail}`,
      );
    }
    return NOTHING_TO_WRITE;
  }

  /** Nobody is answered by a subscription, not even about an entry it gives up on. */
  refuse(): EntryOutcome {
    return NOTHING_TO_WRITE;
  }
}

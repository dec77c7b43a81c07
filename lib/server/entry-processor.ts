import type { LoggerService } from '@nestjs/common';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_ENVELOPE, FIELD_REPLY_TO } from '../protocol/constants.js';
import { decodeInbound, encodeError, encodeResult, type InboundEntry, type JsonRpcId } from '../protocol/envelopes.js';
import { ErrorCode, type JsonRpcErrorObject, protocolError, toJsonRpcError } from '../protocol/errors.js';
import type { ClamatorKeys } from '../protocol/keys.js';
import { fieldValue, type StreamEntry } from '../streams/stream-replies.js';
import { ClamatorContext } from './clamator.context.js';
import { entryMetadata } from './entry-metadata.js';
import type { ServiceHandlers } from './handler-routes.js';
import { HandlerTimeout, type HandlerRunner } from './handler-invocation.js';

/**
 * Reads the raw bytes of a field of one entry of the service's command stream; `undefined` when
 * the entry or the field is gone. May reject when Redis refuses.
 */
export type RawFieldLookup = (entryId: string, field: string) => Promise<Buffer | undefined>;

/** What handling an entry leaves to write: the reply, when there is one to send. */
export interface EntryOutcome {
  readonly replyTo?: string;
  readonly envelope?: string;
  /** Set for an entry that nobody can be answered about: it is kept in the dead-letter stream with this reason. */
  readonly deadLetterReason?: string;
}

const NO_REPLY: EntryOutcome = {};

/** What ioredis puts in place of bytes that are not valid UTF-8 when it decodes a field value. */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** How a consumer turns entries into what to write: a service's own processor or a subscription's. */
export interface EntryHandling {
  /** Runs the entry; never throws for a bad entry (but may reject when Redis fails, leaving it pending). */
  process(entry: StreamEntry, deliveryCount: number): Promise<EntryOutcome>;
  /** The outcome for an entry that will not be run (dead-lettered). */
  refuse(entry: StreamEntry, reason: string, detail?: Record<string, unknown>): EntryOutcome;
}

/** A string id, or an integer literal of any length: one followed by a fraction or an exponent is no integer id. */
const ID_PATTERN = /"id"\s*:\s*("(?:[^"\\]|\\.){1,200}"|-?\d{1,200}(?![\d.eE]))/;

/**
 * Finds the id of an envelope too large to parse, in its first or last bytes, where encoders put
 * it; with its exact text when it is an integer a double cannot hold, for the reply to echo.
 */
function sniffId(raw: string): { id: JsonRpcId | null; idJson?: string } {
  const match = ID_PATTERN.exec(raw.slice(-300)) ?? ID_PATTERN.exec(raw.slice(0, 300));
  if (!match) return { id: null };
  try {
    const id = JSON.parse(match[1]) as JsonRpcId;
    return typeof id === 'number' && !Number.isSafeInteger(id) ? { id, idJson: match[1] } : { id };
  } catch {
    return { id: null };
  }
}

/** What an `EntryProcessor` serves and how. */
export interface EntryProcessorSettings {
  readonly service: string;
  /** This server's consumer name in the service's group. */
  readonly consumer: string;
  readonly handlers: ServiceHandlers;
  readonly keys: ClamatorKeys;
  readonly logger: LoggerService;
  /** Envelopes larger than this are refused with -32600 without being parsed. */
  readonly maxEnvelopeBytes: number;
  /** Runs the handlers (processing hooks, deadline). */
  readonly runner: HandlerRunner;
  /**
   * Reads a field of an entry of this service's command stream as raw bytes, to tell a `reply-to`
   * that is not valid UTF-8 (which ioredis decodes with U+FFFD in place of the bad bytes, so that
   * it names another key) from one holding a literal U+FFFD. Default: none, and then every
   * `reply-to` containing U+FFFD is taken for one that is not valid UTF-8 (dead-lettered, not run).
   */
  readonly rawField?: RawFieldLookup;
}

/**
 * Turns one command-stream entry into its outcome: decodes and checks the envelope, runs the
 * handler, and encodes the reply. Never throws; every failure becomes the JSON-RPC error reply the
 * caller is owed, or a log line when there is nobody to reply to.
 */
export class EntryProcessor implements EntryHandling {
  /** Notifications are written by any peer, as often as it likes: their failures are logged at a bounded rate. */
  private readonly notificationLog: RateLimitedLog;

  constructor(private readonly settings: EntryProcessorSettings) {
    this.notificationLog = new RateLimitedLog(settings.logger);
  }

  /** The reply stream named by the entry; `null` when it is outside `<keyPrefix>:replies:` and must not be written. */
  private replyTarget(entry: StreamEntry): string | undefined | null {
    const replyTo = fieldValue(entry.fields, FIELD_REPLY_TO);
    return replyTo === undefined || this.settings.keys.isReplyStream(replyTo) ? replyTo : null;
  }

  private decode(entry: StreamEntry): InboundEntry {
    const raw = fieldValue(entry.fields, FIELD_ENVELOPE);
    // Length in UTF-16 units bounds the UTF-8 size from below and, times three, from above.
    if (raw !== undefined && raw.length * 3 > this.settings.maxEnvelopeBytes) {
      const bytes = Buffer.byteLength(raw);
      if (bytes > this.settings.maxEnvelopeBytes) {
        const reason = `envelope of ${bytes} bytes exceeds maxEnvelopeBytes (${this.settings.maxEnvelopeBytes})`;
        return { kind: 'invalid', ...sniffId(raw), error: protocolError(ErrorCode.InvalidRequest, { reason }), isNotification: false };
      }
    }
    return decodeInbound(raw, this.settings.service);
  }

  /**
   * Why an entry whose `reply-to` reads with U+FFFD must not be run: its raw bytes are not valid
   * UTF-8 (a reply would go to another key than the caller named), or they could not be checked.
   * `undefined` when the raw bytes are the UTF-8 of `replyTo`: a literal U+FFFD, nothing wrong.
   */
  private async replyToEncodingFault(entry: StreamEntry, replyTo: string): Promise<string | undefined> {
    const notRun = 'not run, since no reply could be written to the stream it names';
    if (!this.settings.rawField) return `reply-to may not be valid UTF-8 (it reads with U+FFFD and its raw bytes cannot be checked); ${notRun}`;
    let raw: Buffer | undefined;
    try {
      raw = await this.settings.rawField(entry.id, FIELD_REPLY_TO);
    } catch (error) {
      return `reply-to may not be valid UTF-8 (it reads with U+FFFD and reading its raw bytes failed: ${(error as Error).message}); ${notRun}`;
    }
    if (raw === undefined) return `reply-to may not be valid UTF-8 (it reads with U+FFFD and the entry is gone); ${notRun}`;
    return raw.equals(Buffer.from(replyTo, 'utf8')) ? undefined : `reply-to is not valid UTF-8; ${notRun}`;
  }

  /**
   * The outcome for an entry that will not be run (dead-lettered): a -32603 reply with
   * `data.reason` when it is a request that names a reply stream, else nothing. A `reply-to`
   * containing U+FFFD gets no reply here, since its raw bytes cannot be checked without waiting.
   */
  refuse(entry: StreamEntry, reason: string, detail: Record<string, unknown> = {}): EntryOutcome {
    const replyTo = this.replyTarget(entry);
    if (!replyTo || replyTo.includes(REPLACEMENT_CHARACTER)) return NO_REPLY;
    const inbound = this.decode(entry);
    if (inbound.id === null) return NO_REPLY;
    const error: JsonRpcErrorObject = { ...protocolError(ErrorCode.InternalError), data: { reason, ...detail } };
    return { replyTo, envelope: encodeError(inbound.id, error, inbound.idJson) };
  }

  async process(entry: StreamEntry, deliveryCount: number): Promise<EntryOutcome> {
    const replyTo = this.replyTarget(entry);
    if (replyTo === null) {
      const reason = `reply-to is outside "${this.settings.keys.replyStream('')}"; not run, since no reply may be written there`;
      return { deadLetterReason: reason };
    }
    if (replyTo !== undefined && replyTo.includes(REPLACEMENT_CHARACTER)) {
      const fault = await this.replyToEncodingFault(entry, replyTo);
      if (fault !== undefined) return { deadLetterReason: fault };
    }
    const inbound = this.decode(entry);

    if (inbound.kind === 'invalid') {
      if (replyTo !== undefined && !inbound.isNotification) {
        return { replyTo, envelope: encodeError(inbound.id, inbound.error, inbound.idJson) };
      }
      return { deadLetterReason: `not a valid request (${inbound.error.message}: ${JSON.stringify(inbound.error.data)}) and no reply stream to say so` };
    }

    const { id, idJson, method, params } = inbound;
    const expectsReply = id !== null && replyTo !== undefined;
    const handler = this.settings.handlers.get(method);
    if (!handler) {
      if (expectsReply) {
        return { replyTo, envelope: encodeError(id, protocolError(ErrorCode.MethodNotFound, { method: `${this.settings.service}.${method}` }), idJson) };
      }
      this.notificationLog.warn('without-handler', `No handler for notification ${this.settings.service}.${method} (entry ${entry.id}). Acknowledged.`);
      return NO_REPLY;
    }

    const metadata = entryMetadata(entry, this.notificationLog, `Service "${this.settings.service}"`);
    const context = new ClamatorContext([
      this.settings.service, method, id, entry.id, deliveryCount, expectsReply ? replyTo : null, this.settings.consumer, metadata,
    ]);
    try {
      const result = await this.settings.runner.run(handler, params, context);
      if (!expectsReply) return NO_REPLY;
      return { replyTo, envelope: encodeResult(id, handler.isEventHandler ? null : result, idJson) };
    } catch (error) {
      const rpcError =
        error instanceof HandlerTimeout
          ? { ...protocolError(ErrorCode.InternalError), data: { reason: 'handler timeout', timeoutMs: error.timeoutMs } }
          : toJsonRpcError(error);
      if (!expectsReply) {
        // Per method: the handler exists, so the set of keys is bounded by the handlers.
        this.notificationLog.error(
          `failed:${method}`,
          `Notification ${this.settings.service}.${method} (entry ${entry.id}) failed: ${rpcError.message} ${JSON.stringify(rpcError.data)}`,
        );
        return NO_REPLY;
      }
      return { replyTo, envelope: encodeError(id, rpcError, idJson) };
    }
  }

}

import type { LoggerService } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { FIELD_ENVELOPE, FIELD_REPLY_TO } from '../protocol/constants.js';
import { decodeInbound, encodeError, encodeResult } from '../protocol/envelopes.js';
import { ErrorCode, protocolError, toJsonRpcError } from '../protocol/errors.js';
import type { ClamatorKeys } from '../protocol/keys.js';
import { fieldValue, type StreamEntry } from '../streams/stream-replies.js';
import { ClamatorContext } from './clamator.context.js';
import type { ServiceHandlers } from './handler-routes.js';

/** What handling an entry leaves to write: the reply, when there is one to send. */
export interface EntryOutcome {
  readonly replyTo?: string;
  readonly envelope?: string;
}

const NO_REPLY: EntryOutcome = {};

/** Runs a Nest handler and settles on its value: a plain value, a Promise, or an Observable's last value. */
async function invokeHandler(handler: MessageHandler, params: unknown, context: ClamatorContext): Promise<unknown> {
  let result: unknown = handler(params, context);
  if (result instanceof Promise) result = await result;
  if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
  return result;
}

/**
 * Turns one command-stream entry into its outcome: decodes and checks the envelope, runs the
 * handler, and encodes the reply. Never throws; every failure becomes the JSON-RPC error reply the
 * caller is owed, or a log line when there is nobody to reply to.
 */
export class EntryProcessor {
  constructor(
    private readonly service: string,
    private readonly consumer: string,
    private readonly handlers: ServiceHandlers,
    private readonly keys: ClamatorKeys,
    private readonly logger: LoggerService,
  ) {}

  async process(entry: StreamEntry, deliveryCount: number): Promise<EntryOutcome> {
    const replyToField = fieldValue(entry.fields, FIELD_REPLY_TO);
    if (replyToField !== undefined && !this.keys.isReplyStream(replyToField)) {
      this.logger.warn(
        `Entry ${entry.id} on service "${this.service}" names reply-to "${replyToField}", outside ` +
          `"${this.keys.replyStream('')}": acknowledged without running it, since no reply may be written there.`,
      );
      return NO_REPLY;
    }
    const replyTo = replyToField;
    const inbound = decodeInbound(fieldValue(entry.fields, FIELD_ENVELOPE), this.service);

    if (inbound.kind === 'invalid') {
      if (replyTo !== undefined && !inbound.isNotification) {
        return { replyTo, envelope: encodeError(inbound.id, inbound.error) };
      }
      this.logger.warn(
        `Entry ${entry.id} on service "${this.service}" is not a valid request and has no reply stream: ` +
          `${inbound.error.message} (${JSON.stringify(inbound.error.data)}). Acknowledged.`,
      );
      return NO_REPLY;
    }

    const { id, method, params } = inbound;
    const expectsReply = id !== null && replyTo !== undefined;
    const handler = this.handlers.get(method);
    if (!handler) {
      if (expectsReply) {
        return { replyTo, envelope: encodeError(id, protocolError(ErrorCode.MethodNotFound, { method: `${this.service}.${method}` })) };
      }
      this.logger.warn(`No handler for notification ${this.service}.${method} (entry ${entry.id}). Acknowledged.`);
      return NO_REPLY;
    }

    const context = new ClamatorContext([
      this.service, method, id, entry.id, deliveryCount, expectsReply ? replyTo : null, this.consumer,
    ]);
    try {
      const result = await invokeHandler(handler, params, context);
      if (!expectsReply) return NO_REPLY;
      return { replyTo, envelope: encodeResult(id, handler.isEventHandler ? null : result) };
    } catch (error) {
      const rpcError = toJsonRpcError(error);
      if (!expectsReply) {
        this.logger.error(
          `Notification ${this.service}.${method} (entry ${entry.id}) failed: ${rpcError.message} ${JSON.stringify(rpcError.data)}`,
        );
        return NO_REPLY;
      }
      return { replyTo, envelope: encodeError(id, rpcError) };
    }
  }
}

import { BaseRpcContext } from '@nestjs/microservices';
import type { JsonRpcId } from '../protocol/envelopes.js';
import type { ClamatorMetadata } from '../protocol/metadata.js';

/** Arguments of a `ClamatorContext`, in order. */
export type ClamatorContextArgs = [
  service: string,
  method: string,
  id: JsonRpcId | null,
  entryId: string,
  deliveryCount: number,
  replyTo: string | null,
  consumer: string,
  metadata?: ClamatorMetadata,
];

/** What a handler can learn about the message it handles, through `@Ctx()`. */
export class ClamatorContext extends BaseRpcContext<ClamatorContextArgs> {
  /** The clamator service (the part of the method before the first `.`). */
  getService(): string {
    return this.args[0];
  }

  /** The method name within the service. */
  getMethod(): string {
    return this.args[1];
  }

  /**
   * The JSON-RPC id; `null` for a notification. An integer id beyond +-(2^53 - 1) (say
   * `12345678901234567890`) comes as the nearest double, which may differ from what the caller
   * wrote; the reply still echoes the id exactly as written.
   */
  getId(): JsonRpcId | null {
    return this.args[2];
  }

  /** The id of the stream entry that carried the message. */
  getEntryId(): string {
    return this.args[3];
  }

  /** How many times the entry has been delivered: 1 on first delivery, more when it was reclaimed. */
  getDeliveryCount(): number {
    return this.args[4];
  }

  /** The reply stream the answer goes to; `null` for a notification. */
  getReplyTo(): string | null {
    return this.args[5];
  }

  /** The consumer (`<service>:<serverInstanceId>`) handling the entry. */
  getConsumer(): string {
    return this.args[6];
  }

  /**
   * The metadata the caller sent with the message (`call(..., { metadata })`, a record builder, or
   * Nest 12's dispatch hook); `undefined` when it sent none (the other clamator peers never do).
   */
  getMetadata(): ClamatorMetadata | undefined {
    return this.args[7];
  }

  /** True when the message is a notification (no reply will be sent). */
  isNotification(): boolean {
    return this.args[2] === null;
  }
}

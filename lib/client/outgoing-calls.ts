import { Observable, type Subscriber } from 'rxjs';
import type { ClientRpc } from '../telemetry/rpc-telemetry.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import { failureOf, outcomeOf } from './traced-call.js';

/**
 * One call or notification on its way: the record `PendingCalls` keeps, and what settles its caller.
 * The client fills in the fields when it dispatches it. One object per call, with its settling as
 * methods, instead of a closure for each way it can end (reply, error, timeout, send failure, close).
 */
export interface OutgoingCall extends PendingCall {
  id: string;
  method: string;
  timeoutMs: number;
  deadline: number;
  /** The call's span and metrics, ended as it settles; unset while nothing is traced or measured. */
  rpc: ClientRpc | undefined;
}

/** A call or notification as its errors name it. */
export function describeCall(call: OutgoingCall, notification: boolean): string {
  return notification ? `notification ${call.method}` : call.method;
}

/** Ends a traced call's span and metrics with its outcome. */
function endRpc(rpc: ClientRpc, error?: Error): void {
  if (error === undefined) rpc.end('ok');
  else rpc.end(outcomeOf(error), failureOf(error));
}

/** `call()` and `notify()`: settles a promise. */
export class PromisedCall implements OutgoingCall {
  id = '';
  method = '';
  timeoutMs = 0;
  deadline = 0;
  rpc: ClientRpc | undefined = undefined;
  queue: PendingCall['queue'] = undefined;

  constructor(
    private readonly fulfil: (value: unknown) => void,
    private readonly fail: (error: Error) => void,
  ) {}

  resolve(value: unknown): void {
    if (this.rpc !== undefined) endRpc(this.rpc);
    this.fulfil(value);
  }

  reject(error: Error): void {
    if (this.rpc !== undefined) endRpc(this.rpc, error);
    this.fail(error);
  }
}

/** What Nest's `ClientProxy` does with a reply before its subscribers see it (`serializeResponse`, `serializeError`). */
export interface ReplySerializers {
  response(response: unknown): unknown;
  error(error: unknown): unknown;
}

/**
 * Starts the request of `pattern` and `data` for one subscriber of `send()`'s Observable (a failure
 * settles `call`). Called at each subscription, as Nest builds its packet (dispatch hook included) then.
 */
export type StartObserved = (pattern: unknown, data: unknown, call: ObservedCall) => void;

/**
 * A request made for one subscriber of `send()`: settles the subscriber as Nest's `createObserver`
 * does for a reply (next, then complete; or error), and is the subscriber's teardown: unsubscribing
 * before the reply forgets the call, so that its reply or timeout is dropped.
 */
export class ObservedCall implements OutgoingCall {
  id = '';
  method = '';
  timeoutMs = 0;
  deadline = 0;
  rpc: ClientRpc | undefined = undefined;
  queue: PendingCall['queue'] = undefined;

  constructor(
    private readonly subscriber: Subscriber<unknown>,
    private readonly pending: PendingCalls,
    private readonly serializers: ReplySerializers,
  ) {}

  resolve(value: unknown): void {
    if (this.rpc !== undefined) endRpc(this.rpc);
    // As Nest's own transports: a reply without a value still emits (null), then completes.
    this.subscriber.next(this.serializers.response(value ?? null));
    this.subscriber.complete();
  }

  reject(error: Error): void {
    if (this.rpc !== undefined) endRpc(this.rpc, error);
    this.subscriber.error(this.serializers.error(error));
  }

  /** Teardown of the subscription: a call still pending is forgotten (settled calls have no queue). */
  unsubscribe(): void {
    if (this.queue !== undefined) this.pending.take(this.id);
  }
}

/**
 * The cold Observable `send()` returns: each subscription sends the request once. A subclass
 * rather than `new Observable(fn)`, so that a call costs no closure over its pattern and data.
 */
export class SentRequest<T> extends Observable<T> {
  constructor(
    private readonly pattern: unknown,
    private readonly data: unknown,
    private readonly start: StartObserved,
    private readonly pending: PendingCalls,
    private readonly serializers: ReplySerializers,
  ) {
    super();
  }

  /** rxjs calls this for every subscriber (the role of the function given to `new Observable`). */
  protected _subscribe(subscriber: Subscriber<T>): ObservedCall {
    const call = new ObservedCall(subscriber as Subscriber<unknown>, this.pending, this.serializers);
    this.start(this.pattern, this.data, call);
    return call;
  }
}

/**
 * The hot Observable `emit()` returns, and the notification's record: the notification goes at
 * once, whether or not anyone subscribes. Like the Subject behind Nest's `emit()`, a subscriber
 * present when Redis confirms it gets `undefined` and completion (or the error); one that comes
 * later gets completion (or the error) only.
 */
export class EmittedNotification<T> extends Observable<T> implements OutgoingCall {
  id = '';
  method = '';
  timeoutMs = 0;
  deadline = 0;
  rpc: ClientRpc | undefined = undefined;
  queue: PendingCall['queue'] = undefined;
  private settled = false;
  private failure: Error | undefined = undefined;
  /** Subscribers waiting for the outcome: none, one (most emits have one), or several. */
  private waiting: Subscriber<T> | Array<Subscriber<T>> | undefined = undefined;

  constructor(private readonly serializeError: (error: unknown) => unknown) {
    super();
  }

  resolve(): void {
    if (this.rpc !== undefined) endRpc(this.rpc);
    this.settle(undefined);
  }

  reject(error: Error): void {
    if (this.rpc !== undefined) endRpc(this.rpc, error);
    this.settle(this.serializeError(error) as Error);
  }

  private settle(failure: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = failure;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting === undefined) return;
    for (const subscriber of Array.isArray(waiting) ? waiting : [waiting]) this.tell(subscriber, true);
  }

  private tell(subscriber: Subscriber<T>, withValue: boolean): void {
    if (this.failure !== undefined) return subscriber.error(this.failure);
    if (withValue) subscriber.next(undefined as T);
    subscriber.complete();
  }

  /**
   * No teardown: a subscriber that unsubscribes before the outcome is kept until then (at most the
   * notification's timeout) and ignores it, as a closed rxjs subscriber does.
   */
  protected _subscribe(subscriber: Subscriber<T>): void {
    if (this.settled) return this.tell(subscriber, false);
    const waiting = this.waiting;
    this.waiting = waiting === undefined ? subscriber : Array.isArray(waiting) ? [...waiting, subscriber] : [waiting, subscriber];
  }
}

import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import type { Observable } from 'rxjs';
import { encodeNotification, encodeRequest } from '../protocol/envelopes.js';
import { ClamatorTimeoutError, ClamatorTransportError } from '../protocol/errors.js';
import { type ClamatorMetadata, encodeMetadata } from '../protocol/metadata.js';
import type { ClamatorContract } from '../contracts/contract.js';
import { createContractClient } from '../contracts/contract-client.js';
import type { ContractClient } from '../contracts/contract-types.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import type { ClamatorConnectionEvents, ClamatorStatus } from '../streams/connections/connection-status.js';
import { RpcTelemetry } from '../telemetry/rpc-telemetry.js';
import { assertParams, assertRoute, assertTimeout, packetTarget, RouteCache } from './call-arguments.js';
import {
  type ClamatorCallOptions,
  type ClamatorClientOptions,
  type ClamatorNotifyOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './clamator-client.options.js';
import { describeCall, EmittedNotification, type ObservedCall, type OutgoingCall, PromisedCall, type ReplySerializers, SentRequest } from './outgoing-calls.js';
import { PendingCalls } from './pending-calls.js';
import { ReplyReader } from './reply-reader.js';
import { encodeTracedMetadata } from './traced-call.js';

export type { ClamatorCallOptions, ClamatorNotifyOptions } from './clamator-client.options.js';

/** Events of the command connection that `ClamatorClient.on()` can listen to. */
export type ClamatorClientEvents = ClamatorConnectionEvents;

/** On close, how long deleting the reply stream may take (Redis may be frozen or paused). */
const DELETE_REPLY_STREAM_BOUND_MS = 500;

/**
 * Nest client for clamator services. `send(pattern, data)` and `emit(pattern, data)` work as with
 * any Nest transport; `call(service, method, params)` and `notify(service, method, params)` return
 * promises, in the shape of clamator's own client interface.
 */
export class ClamatorClient extends ClientProxy<ClamatorClientEvents> {
  /** Validated options, defaults applied. */
  readonly options: ResolvedClientOptions;
  /** The stream layer this client issues its Redis commands through. */
  readonly streams: ClamatorStreamsService;
  /** This client's reply stream, `<keyPrefix>:replies:<instanceId>`. */
  readonly replyStream: string;
  private readonly logger = new Logger(ClamatorClient.name);
  private readonly pending = new PendingCalls((call) => call.reject(new ClamatorTimeoutError(call.method, call.timeoutMs)));
  /** Notifications Redis has not confirmed yet, each with its deadline. */
  private readonly unconfirmed = new PendingCalls((notification) =>
    notification.reject(
      new ClamatorTimeoutError(
        notification.method,
        notification.timeoutMs,
        `Redis did not confirm notification ${notification.method} within ${notification.timeoutMs} ms; it may still have been queued.`,
      ),
    ),
  );
  private notificationCount = 0;
  private readonly routes = new RouteCache();
  private connecting: Promise<void> | undefined;
  /** True from the moment Redis answered a `connect()` until `close()`: calls are sent at once. */
  private connected = false;
  private closing: Promise<void> | undefined;
  private replyConnection: RedisConnection | undefined;
  private unwatchConnection: (() => void) | undefined;
  private stopped = false;
  private stopSignal = new AbortController();
  /** Traces and metrics, once `connect()` loaded OpenTelemetry (when installed and not turned off). */
  private telemetry: RpcTelemetry | undefined;

  constructor(options: ClamatorClientOptions) {
    super();
    this.options = resolveClientOptions(options);
    this.streams = new ClamatorStreamsService({
      keyPrefix: this.options.keyPrefix,
      redis: this.options.redis,
      cluster: this.options.cluster,
      // A cluster is opened from its own nodes and options: the single-Redis ones would be refused beside it.
      redisUrl: this.options.cluster ? undefined : this.options.redisUrl,
      redisOptions: this.options.cluster ? undefined : this.options.redisOptions,
      connectionName: `clamator-client:${this.options.instanceId}`,
    });
    this.replyStream = this.streams.keys.replyStream(this.options.instanceId);
  }

  /** Connection states: `connected` (only once Redis answered), `reconnecting`, `disconnected`. */
  override get status(): Observable<ClamatorStatus> {
    return super.status as Observable<ClamatorStatus>;
  }

  /**
   * Opens the connections and starts reading replies, once Redis answers. Rejects with
   * `ClamatorTransportError` naming the endpoint and the cause when Redis cannot be reached within
   * `connectTimeoutMs`; the next call or `connect()` then tries again. Called lazily by the first
   * call; concurrent callers share one connect.
   */
  connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.closing = undefined;
    this.stopped = false;
    this.stopSignal = new AbortController();
    try {
      await this.streams.whenReady({ timeoutMs: this.options.connectTimeoutMs, signal: this.stopSignal.signal });
    } catch (error) {
      // Nothing goes on retrying in the background: the next call connects anew.
      await this.streams.close();
      throw error;
    }
    this.telemetry ??= await RpcTelemetry.create(this.options.telemetry);
    this.unwatchConnection = this.streams.watchConnectionState((state) => this._status$.next(state));
    this.replyConnection = this.streams.openBlockingConnection('replies');
    const reader = new ReplyReader(
      this.streams,
      { replyStream: this.replyStream, readCount: this.options.replyReadCount, blockMs: this.options.blockMs },
      this.pending,
      this.logger,
      (state) => this._status$.next(state),
    );
    void reader.run(this.replyConnection, this.stopSignal.signal);
    this.connected = true;
    this._status$.next('connected');
  }

  /**
   * Calls `service.method` and resolves with its result. Rejects with `ClamatorRpcError` for an
   * error reply, `ClamatorTimeoutError` when no reply came in time, `ClamatorTransportError` when the
   * request could not be sent (saying whether anything was sent) or the client was closed.
   */
  call<TResult = unknown>(service: string, method: string, params?: object, options?: ClamatorCallOptions): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.dispatch(service, method, params, options?.timeoutMs, new PromisedCall(resolve as (value: unknown) => void, reject), false, options?.metadata);
    });
  }

  /**
   * Queues a notification; resolves once Redis accepted it (queuing, not processing). Rejects with
   * `ClamatorTransportError` when it could not be queued, and with `ClamatorTimeoutError` when Redis
   * did not confirm it within the timeout (it may still have been queued).
   */
  notify(service: string, method: string, params?: object, options?: ClamatorNotifyOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.dispatch(service, method, params, options?.timeoutMs, new PromisedCall(resolve as (value: unknown) => void, reject), true, options?.metadata);
    });
  }

  /**
   * A typed client of `contract`: one function per entry, params checked before anything is sent
   * (-32602), results checked against the contract (-32603 when they do not fit). Options such as
   * `timeoutMs` and `metadata` go to `call`/`notify`. Throws `ClamatorContractError` for an invalid contract.
   */
  for<C extends ClamatorContract>(contract: C): ContractClient<C> {
    return createContractClient(this, contract);
  }

  /** Why a request must not be sent right now (nothing is sent then), or undefined when it may be. */
  private unsendable(): string | undefined {
    if (this.stopped) return 'the client was closed';
    // While Redis is away, fail at once rather than queue the request for a caller that may have
    // given up by the time Redis is back (the request would still run, late).
    const { status } = this.streams.connection;
    return status === 'ready' ? undefined : `the Redis connection is ${status}`;
  }

  /** Starts a call (or a notification): checks its arguments, then sends it, once connected. */
  private dispatch(
    service: string,
    method: string,
    params: unknown,
    timeoutMs: number | undefined,
    call: OutgoingCall,
    notification: boolean,
    metadata: ClamatorMetadata | undefined,
  ): void {
    let metadataJson: string | undefined;
    try {
      assertRoute(service, method);
      assertParams(`${service}.${method}`, params);
      if (timeoutMs !== undefined) assertTimeout(timeoutMs);
      if (metadata !== undefined) metadataJson = encodeMetadata(metadata, `${service}.${method}`);
    } catch (error) {
      return call.reject(error as Error);
    }
    const timeout = timeoutMs ?? this.options.defaultTimeoutMs;
    call.id = notification ? `notification:${++this.notificationCount}` : randomUUID();
    call.method = `${service}.${method}`;
    call.timeoutMs = timeout;
    call.deadline = Date.now() + timeout;
    if (this.connected) return this.sendNow(service, method, params, call, notification, metadata, metadataJson);
    this.sendOnceConnected(call, notification, () => this.sendNow(service, method, params, call, notification, metadata, metadataJson));
  }

  private sendNow(
    service: string,
    method: string,
    params: unknown,
    call: OutgoingCall,
    notification: boolean,
    metadata: ClamatorMetadata | undefined,
    metadataJson: string | undefined,
  ): void {
    const rpc = this.telemetry?.clientRpc(service, method, notification ? undefined : call.id, metadata);
    if (rpc) {
      call.rpc = rpc;
      if (rpc.metadata !== metadata) metadataJson = encodeTracedMetadata(rpc.metadata);
    }
    const refusal = this.unsendable();
    if (refusal) return call.reject(new ClamatorTransportError(`Could not send ${describeCall(call, notification)}: nothing was sent, ${refusal}.`));
    if (notification) {
      this.unconfirmed.add(call);
      this.streams.sendNotification(service, encodeNotification(service, method, params), (error) => {
        if (!this.unconfirmed.take(call.id)) return;
        if (error) call.reject(new ClamatorTransportError(`Could not queue notification ${call.method}: ${error.message}`, { cause: error }));
        else call.resolve(undefined);
      }, metadataJson);
    } else {
      this.pending.add(call);
      this.streams.sendRequest(service, encodeRequest(service, method, params, call.id), this.replyStream, (error) => {
        if (error) this.pending.take(call.id)?.reject(new ClamatorTransportError(`Could not send ${call.method}: ${error.message}`, { cause: error }));
      }, metadataJson);
    }
  }

  /**
   * Sends once `connect()` succeeds; fails, saying that nothing was sent, when it does not, or when
   * the call's own deadline comes first.
   */
  private sendOnceConnected(call: OutgoingCall, notification: boolean, send: () => void): void {
    let waiting = true;
    const fail = (reason: string, cause?: Error) =>
      call.reject(new ClamatorTransportError(`Could not send ${describeCall(call, notification)}: nothing was sent${reason}`, cause && { cause }));
    const timer = setTimeout(() => {
      waiting = false;
      fail(', Redis did not answer within its timeout.');
    }, call.deadline - Date.now());
    timer.unref();
    this.connect().then(
      () => {
        if (!waiting) return;
        clearTimeout(timer);
        send();
      },
      (error: Error) => {
        if (!waiting) return;
        clearTimeout(timer);
        fail(`. ${error.message}`, error);
      },
    );
  }

  /**
   * Nest's `send()`, with one difference: it does not wait for `connect()` before publishing. The
   * call connects itself, and so fails, saying that nothing was sent, within its own timeout or
   * `connectTimeoutMs` when Redis cannot be reached.
   */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    // Nest refuses a missing pattern or data with its own error.
    if (pattern === undefined || pattern === null || data === undefined || data === null) return super.send(pattern, data);
    return new SentRequest<TResult>(pattern, data, this.startObserved, this.pending, this.serializers);
  }

  /** Nest's `emit()` (hot: the notification goes whether or not anyone subscribes), without waiting for `connect()` either. */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === undefined || pattern === null || data === undefined || data === null) return super.emit(pattern, data);
    const notification = new EmittedNotification<TResult>(this.serializers.error);
    try {
      const { service, method, params, metadata } = packetTarget(this.routes, this.packetOf(pattern, data));
      this.dispatch(service, method, params, undefined, notification, true, metadata);
    } catch (error) {
      notification.reject(error as Error);
    }
    return notification;
  }

  /** The packet Nest's `send()`/`emit()` would hand over: through Nest 12's dispatch hook (`createPacket`) where there is one. */
  private packetOf(pattern: unknown, data: unknown): ReadPacket {
    const createPacket = (this as unknown as { createPacket?: (pattern: unknown, data: unknown) => ReadPacket }).createPacket;
    return createPacket ? createPacket.call(this, pattern, data) : { pattern, data };
  }

  /** Starts the request of one subscription of `send()`; failures (a bad pattern too) go to its subscriber. */
  private readonly startObserved = (pattern: unknown, data: unknown, call: ObservedCall): void => {
    try {
      const { service, method, params, metadata, timeoutMs } = packetTarget(this.routes, this.packetOf(pattern, data));
      this.dispatch(service, method, params, timeoutMs, call, false, metadata);
    } catch (error) {
      call.reject(error as Error);
    }
  };

  /** Nest's hooks for what subscribers see (`serializeResponse`, `serializeError`; subclasses may override them). */
  private readonly serializers: ReplySerializers = {
    response: (response) => this.serializeResponse(response),
    error: (error) => this.serializeError(error),
  };

  /**
   * Nest's request path, for code that calls it directly (`send()` does not): answers through
   * `callback` with the same error objects `call()` rejects with.
   */
  protected publish(packet: ReadPacket & { metadata?: ClamatorMetadata }, callback: (packet: WritePacket) => void): () => void {
    const call = new PromisedCall(
      (response) => callback({ response: response ?? null, isDisposed: true }),
      (err) => callback({ err }),
    );
    try {
      const { service, method, params, metadata, timeoutMs } = packetTarget(this.routes, packet);
      this.dispatch(service, method, params, timeoutMs, call, false, metadata);
    } catch (err) {
      callback({ err });
    }
    return () => {
      if (call.queue !== undefined) this.pending.take(call.id);
    };
  }

  /** Nest's event path, for code that calls it directly (`emit()` does not); metadata as for `send()`, a record's timeout not used. */
  protected async dispatchEvent<T = unknown>(packet: ReadPacket & { metadata?: ClamatorMetadata }): Promise<T> {
    const { service, method, params, metadata } = packetTarget(this.routes, packet);
    await this.notify(service, method, params as object, metadata === undefined ? undefined : { metadata });
    return undefined as T;
  }

  /** Calls waiting for a reply right now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Rejects pending calls with `ClamatorTransportError`, deletes the reply stream and closes owned
   * connections. Settles within a few seconds whatever Redis does (up, down, frozen or paused).
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    this.stopSignal.abort();
    for (const call of this.pending.takeAll()) {
      call.reject(new ClamatorTransportError(`Client closed before ${call.method} was answered.`));
    }
    const connecting = this.connecting;
    this.connecting = undefined;
    // An open() still waiting for Redis gives up at once (the stop signal).
    if (connecting && (await connecting.then(() => true, () => false))) {
      this.unwatchConnection?.();
      // A read waiting in ioredis's offline queue (Redis away) never returns: the loop is not waited for.
      if (this.replyConnection) this.streams.closeBlockingConnection(this.replyConnection);
      if (this.streams.connection.status === 'ready') {
        const deleted = this.streams.deleteStream(this.replyStream).catch((error: Error) =>
          this.logger.warn(`Could not delete reply stream ${this.replyStream}: ${error.message}`),
        );
        await settlesWithin(deleted, DELETE_REPLY_STREAM_BOUND_MS);
      }
    }
    await this.streams.close();
    for (const notification of this.unconfirmed.takeAll()) {
      notification.reject(new ClamatorTransportError(`Client closed before Redis confirmed notification ${notification.method}; it may have been queued.`));
    }
    this._status$.next('disconnected');
  }

  /** Nest lifecycle: a client registered as a provider closes when the application shuts down. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Listens to an event of the command connection, the injected one included (`connect`, `ready`,
   * `error`, `close`, `reconnecting`, `end`).
   */
  override on<EventKey extends keyof ClamatorClientEvents = keyof ClamatorClientEvents>(
    event: EventKey,
    callback: ClamatorClientEvents[EventKey],
  ): void {
    this.streams.connection.on(event, callback as (...args: unknown[]) => void);
  }

  /** The ioredis connection used for non-blocking commands. */
  unwrap<T = RedisConnection>(): T {
    return this.streams.connection as T;
  }
}

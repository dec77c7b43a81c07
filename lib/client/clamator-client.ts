import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { connectable, defer, Observable, Subject } from 'rxjs';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_ENVELOPE } from '../protocol/constants.js';
import { decodeReply, encodeNotification, encodeRequest } from '../protocol/envelopes.js';
import { ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError } from '../protocol/errors.js';
import { backoffDelayMs, sleep } from '../streams/connections/backoff.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { fieldValue } from '../streams/stream-replies.js';
import type { ClamatorConnectionEvents, ClamatorStatus } from '../streams/connections/connection-status.js';
import { type ClamatorMetadata, encodeMetadata } from '../protocol/metadata.js';
import { assertParams, assertRoute, assertTimeout, RouteCache } from './call-arguments.js';
import { ClamatorRecord } from './clamator-record.builder.js';
import { type RpcFailure, type RpcOutcome, RpcTelemetry } from '../telemetry/rpc-telemetry.js';
import { type ClamatorClientOptions, type ResolvedClientOptions, resolveClientOptions } from './clamator-client.options.js';
import { type PendingCall, PendingCalls } from './pending-calls.js';

/** Per-call options of `ClamatorClient.call`. */
export interface ClamatorCallOptions {
  /** How long to wait for the reply, in milliseconds. Default: the client's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Metadata for the handler (`ctx.getMetadata()`): string values, at most 8 KiB as JSON. Default: none. */
  metadata?: ClamatorMetadata;
}

/** Per-notification options of `ClamatorClient.notify`. */
export interface ClamatorNotifyOptions {
  /**
   * How long to wait for Redis to confirm that the notification is queued, in milliseconds (a
   * frozen or paused Redis confirms nothing). Default: the client's `defaultTimeoutMs`.
   */
  timeoutMs?: number;
  /** Metadata for the handler (`ctx.getMetadata()`): string values, at most 8 KiB as JSON. Default: none. */
  metadata?: ClamatorMetadata;
}

/** How a call's failure counts in traces and metrics. */
function outcomeOf(error: Error): RpcOutcome {
  if (error instanceof ClamatorTimeoutError) return 'timeout';
  if (error instanceof ClamatorTransportError) return 'transport';
  return 'error';
}

/** An error reply's code and message for the span, or the failure's message. */
function failureOf(error: Error): RpcFailure {
  return error instanceof ClamatorRpcError ? { code: error.code, message: error.message } : { message: error.message };
}

/** The metadata of a traced call as JSON: nothing when it holds nothing (no trace context was injected). */
function encodeTracedMetadata(metadata: ClamatorMetadata | undefined): string | undefined {
  if (metadata === undefined) return undefined;
  for (const _key in metadata) return JSON.stringify(metadata);
  return undefined;
}

/** A record's metadata over what a dispatch hook set on the packet. */
function mergeMetadata(fromHook: ClamatorMetadata | undefined, fromRecord: ClamatorMetadata | undefined): ClamatorMetadata | undefined {
  if (fromHook === undefined) return fromRecord;
  return fromRecord === undefined ? fromHook : { ...fromHook, ...fromRecord };
}

/** Events of the command connection that `ClamatorClient.on()` can listen to. */
export type ClamatorClientEvents = ClamatorConnectionEvents;

/** The client trims what it has read from its reply stream after this many replies. */
export const REPLY_TRIM_EVERY = 1_000;

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
  /** For what any writer of the reply stream can cause: one line per kind and interval, not one per entry. */
  private readonly replyWarnings = new RateLimitedLog(this.logger);
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
  private replyConnection: Redis | undefined;
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
      redisUrl: this.options.redisUrl,
      redisOptions: this.options.redisOptions,
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
    void this.readReplies(this.replyConnection);
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
      this.dispatch(service, method, params, options?.timeoutMs, resolve as (value: unknown) => void, reject, false, options?.metadata);
    });
  }

  /**
   * Queues a notification; resolves once Redis accepted it (queuing, not processing). Rejects with
   * `ClamatorTransportError` when it could not be queued, and with `ClamatorTimeoutError` when Redis
   * did not confirm it within the timeout (it may still have been queued).
   */
  notify(service: string, method: string, params?: object, options?: ClamatorNotifyOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.dispatch(service, method, params, options?.timeoutMs, resolve as (value: unknown) => void, reject, true, options?.metadata);
    });
  }

  /** Why a request must not be sent right now (nothing is sent then), or undefined when it may be. */
  private unsendable(): string | undefined {
    if (this.stopped) return 'the client was closed';
    // While Redis is away, fail at once rather than queue the request for a caller that may have
    // given up by the time Redis is back (the request would still run, late).
    const { status } = this.streams.connection;
    return status === 'ready' ? undefined : `the Redis connection is ${status}`;
  }

  /** Starts a call (or a notification), and returns the id an unsubscribe releases it by. */
  private dispatch(
    service: string,
    method: string,
    params: unknown,
    timeoutMs: number | undefined,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
    notification = false,
    metadata?: ClamatorMetadata,
  ): string | undefined {
    let metadataJson: string | undefined;
    try {
      assertRoute(service, method);
      assertParams(`${service}.${method}`, params);
      if (timeoutMs !== undefined) assertTimeout(timeoutMs);
      if (metadata !== undefined) metadataJson = encodeMetadata(metadata, `${service}.${method}`);
    } catch (error) {
      reject(error as Error);
      return undefined;
    }
    const timeout = timeoutMs ?? this.options.defaultTimeoutMs;
    const deadline = Date.now() + timeout;
    const qualified = `${service}.${method}`;
    const what = notification ? `notification ${qualified}` : qualified;
    const id = notification ? `notification:${++this.notificationCount}` : randomUUID();
    const send = () => {
      let sentMetadata = metadataJson;
      const rpc = this.telemetry?.clientRpc(service, method, notification ? undefined : id, metadata);
      if (rpc) {
        if (rpc.metadata !== metadata) sentMetadata = encodeTracedMetadata(rpc.metadata);
        const settle = resolve;
        const fail = reject;
        resolve = (value) => {
          rpc.end('ok');
          settle(value);
        };
        reject = (error) => {
          rpc.end(outcomeOf(error), failureOf(error));
          fail(error);
        };
      }
      const refusal = this.unsendable();
      if (refusal) return reject(new ClamatorTransportError(`Could not send ${what}: nothing was sent, ${refusal}.`));
      const waiting = { id, method: qualified, timeoutMs: timeout, deadline, resolve, reject };
      if (notification) {
        this.unconfirmed.add(waiting);
        this.streams.sendNotification(service, encodeNotification(service, method, params), (error) => {
          const queued = this.unconfirmed.take(id);
          if (!queued) return;
          if (error) queued.reject(new ClamatorTransportError(`Could not queue notification ${qualified}: ${error.message}`, { cause: error }));
          else queued.resolve(undefined);
        }, sentMetadata);
      } else {
        this.pending.add(waiting);
        this.streams.sendRequest(service, encodeRequest(service, method, params, id), this.replyStream, (error) => {
          if (error) this.pending.take(id)?.reject(new ClamatorTransportError(`Could not send ${qualified}: ${error.message}`, { cause: error }));
        }, sentMetadata);
      }
    };
    if (this.connected) send();
    else this.sendOnceConnected(what, deadline, send, reject);
    return id;
  }

  /**
   * Sends once `connect()` succeeds; fails, saying that nothing was sent, when it does not, or when
   * the call's own deadline comes first.
   */
  private sendOnceConnected(what: string, deadline: number, send: () => void, reject: (error: Error) => void): void {
    let waiting = true;
    const timer = setTimeout(() => {
      waiting = false;
      reject(new ClamatorTransportError(`Could not send ${what}: nothing was sent, Redis did not answer within its timeout.`));
    }, deadline - Date.now());
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
        reject(new ClamatorTransportError(`Could not send ${what}: nothing was sent. ${error.message}`, { cause: error }));
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
    return new Observable<TResult>((observer) => this.publish(this.packetOf(pattern, data), this.createObserver(observer)));
  }

  /** Nest's `emit()` (hot: the notification goes whether or not anyone subscribes), without waiting for `connect()` either. */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === undefined || pattern === null || data === undefined || data === null) return super.emit(pattern, data);
    const emitted = connectable(defer(() => this.dispatchEvent<TResult>(this.packetOf(pattern, data))), {
      connector: () => new Subject<TResult>(),
      resetOnDisconnect: false,
    });
    emitted.connect();
    return emitted;
  }

  /** The packet Nest's `send()`/`emit()` would hand over: through Nest 12's dispatch hook (`createPacket`) where there is one. */
  private packetOf(pattern: unknown, data: unknown): ReadPacket {
    const createPacket = (this as unknown as { createPacket?: (pattern: unknown, data: unknown) => ReadPacket }).createPacket;
    return createPacket ? createPacket.call(this, pattern, data) : { pattern, data };
  }

  /**
   * Nest's request path (`send()`): answers through `callback` with the same error objects `call()`
   * rejects with. The packet's metadata (Nest 12's dispatch hook) travels with the request, and a
   * `ClamatorRecord` as data brings its own params, metadata (over the hook's) and timeout.
   */
  protected publish(packet: ReadPacket & { metadata?: ClamatorMetadata }, callback: (packet: WritePacket) => void): () => void {
    let id: string | undefined;
    try {
      const { service, method } = this.routes.resolve(packet.pattern);
      const record = packet.data instanceof ClamatorRecord ? packet.data : undefined;
      id = this.dispatch(
        service,
        method,
        record ? record.data : packet.data,
        record?.timeoutMs,
        (response) => callback({ response: response ?? null, isDisposed: true }),
        (err) => callback({ err }),
        false,
        record ? mergeMetadata(packet.metadata, record.metadata) : packet.metadata,
      );
    } catch (err) {
      callback({ err });
    }
    return () => {
      if (id !== undefined) this.pending.take(id);
    };
  }

  /** Nest's event path (`emit()`), with metadata as for `send()` (a record's timeout is not used). */
  protected async dispatchEvent<T = unknown>(packet: ReadPacket & { metadata?: ClamatorMetadata }): Promise<T> {
    const { service, method } = this.routes.resolve(packet.pattern);
    const record = packet.data instanceof ClamatorRecord ? packet.data : undefined;
    const metadata = record ? mergeMetadata(packet.metadata, record.metadata) : packet.metadata;
    await this.notify(service, method, (record ? record.data : packet.data) as object, metadata === undefined ? undefined : { metadata });
    return undefined as T;
  }

  private async readReplies(connection: Redis): Promise<void> {
    let lastId = '0-0';
    let failures = 0;
    let readSinceTrim = 0;
    while (!this.stopped) {
      try {
        const entries = await this.streams.readReplies(connection, this.replyStream, lastId, this.options.replyReadCount, this.options.blockMs);
        if (failures > 0) this._status$.next('connected');
        failures = 0;
        for (const entry of entries) {
          lastId = entry.id;
          this.settle(fieldValue(entry.fields, FIELD_ENVELOPE), entry.id);
        }
        // What has been read is trimmed away now and then, so that the servers' MAXLEN cap never has to.
        readSinceTrim += entries.length;
        if (readSinceTrim >= REPLY_TRIM_EVERY) {
          readSinceTrim = 0;
          this.streams.trimRead(this.replyStream, lastId).catch(() => undefined);
        }
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        if (failures === 1) {
          this.logger.error(`Reading replies failed (${(error as Error).message}); retrying with backoff.`);
          this._status$.next('reconnecting');
        }
        await sleep(backoffDelayMs(failures), this.stopSignal.signal);
      }
    }
  }

  private settle(raw: string | undefined, entryId: string): void {
    const reply = decodeReply(raw);
    if (!reply) {
      this.replyWarnings.warn('not-a-response', `Reply entry ${entryId} on ${this.replyStream} is not a JSON-RPC response; ignored.`);
      return;
    }
    if (reply.id === null) {
      this.replyWarnings.warn('error-without-id', `Error reply without id on ${this.replyStream}: ${reply.error?.message} ${JSON.stringify(reply.error?.data)}`);
      return;
    }
    const call: PendingCall | undefined = this.pending.take(reply.id);
    if (!call) return; // timed out, unsubscribed or from before a restart: dropped, as peers expect
    if (reply.error) call.reject(new ClamatorRpcError(reply.error.code, reply.error.message, reply.error.data));
    else call.resolve(reply.result);
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

  /** Listens to an event of the command connection (`ready`, `error`, `reconnecting`, `end`). */
  override on<EventKey extends keyof ClamatorClientEvents = keyof ClamatorClientEvents>(
    event: EventKey,
    callback: ClamatorClientEvents[EventKey],
  ): void {
    this.streams.connection.on(event, callback as (...args: unknown[]) => void);
  }

  /** The ioredis connection used for non-blocking commands. */
  unwrap<T = Redis>(): T {
    return this.streams.connection as T;
  }
}

import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_ENVELOPE } from '../protocol/constants.js';
import { decodeReply, encodeNotification, encodeRequest } from '../protocol/envelopes.js';
import { ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError } from '../protocol/errors.js';
import { backoffDelayMs, sleep } from '../streams/backoff.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { fieldValue } from '../streams/stream-replies.js';
import type { ClamatorConnectionEvents, ClamatorStatus } from '../streams/connection-status.js';
import { assertParams, assertRoute, assertTimeout, RouteCache } from './call-arguments.js';
import { type ClamatorClientOptions, type ResolvedClientOptions, resolveClientOptions } from './clamator-client.options.js';
import { type PendingCall, PendingCalls } from './pending-calls.js';

/** ioredis connection states in which a request would only wait in the offline queue. */
const LOST_CONNECTION_STATES = new Set(['reconnecting', 'close', 'end']);

/** Per-call options of `ClamatorClient.call`. */
export interface ClamatorCallOptions {
  /** How long to wait for the reply, in milliseconds. Default: the client's `defaultTimeoutMs`. */
  timeoutMs?: number;
}

/** Events of the command connection that `ClamatorClient.on()` can listen to. */
export type ClamatorClientEvents = ClamatorConnectionEvents;

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
  private readonly routes = new RouteCache();
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private replyConnection: Redis | undefined;
  private replyLoop: Promise<void> | undefined;
  private stopped = false;
  private stopSignal = new AbortController();

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

  /** Connection states: `connected`, `reconnecting`, `disconnected`. */
  override get status(): Observable<ClamatorStatus> {
    return super.status as Observable<ClamatorStatus>;
  }

  /** Opens the connections and starts reading replies. Called lazily by the first call; concurrent callers share one connect. */
  connect(): Promise<void> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  private async open(): Promise<void> {
    this.closing = undefined;
    this.stopped = false;
    this.stopSignal = new AbortController();
    this.streams.watchConnectionState((state) => this._status$.next(state));
    this.replyConnection = this.streams.openBlockingConnection('replies');
    this.replyLoop = this.readReplies(this.replyConnection);
    this._status$.next('connected');
  }

  /**
   * Calls `service.method` and resolves with its result. Rejects with `ClamatorRpcError` for an
   * error reply, `ClamatorTimeoutError` when no reply came in time, `ClamatorTransportError` when the
   * request could not be sent or the client was closed.
   */
  call<TResult = unknown>(service: string, method: string, params?: object, options?: ClamatorCallOptions): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.dispatch(service, method, params, options?.timeoutMs, resolve as (value: unknown) => void, reject);
    });
  }

  /** Queues a notification; resolves once Redis accepted it (queuing, not processing). */
  async notify(service: string, method: string, params?: object): Promise<void> {
    assertRoute(service, method);
    assertParams(`${service}.${method}`, params);
    await this.connect();
    const lost = this.lostConnectionState();
    if (lost) throw new ClamatorTransportError(`Could not queue notification ${service}.${method}: the Redis connection is ${lost}.`);
    try {
      await this.streams.sendNotification(service, encodeNotification(service, method, params));
    } catch (error) {
      throw new ClamatorTransportError(`Could not queue notification ${service}.${method}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The connection's state when Redis is away (a request would only wait in ioredis's offline queue), else undefined. */
  private lostConnectionState(): string | undefined {
    const { status } = this.streams.connection;
    return LOST_CONNECTION_STATES.has(status) ? status : undefined;
  }

  /** Starts a call and returns its id, so that an unsubscribe can release it. */
  private dispatch(
    service: string,
    method: string,
    params: unknown,
    timeoutMs: number | undefined,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ): string | undefined {
    try {
      assertRoute(service, method);
      assertParams(`${service}.${method}`, params);
      if (timeoutMs !== undefined) assertTimeout(timeoutMs);
    } catch (error) {
      reject(error as Error);
      return undefined;
    }
    const id = randomUUID();
    const timeout = timeoutMs ?? this.options.defaultTimeoutMs;
    const qualified = `${service}.${method}`;
    const send = () => {
      if (this.stopped) return reject(new ClamatorTransportError(`Client closed before ${qualified} was sent.`));
      // While Redis is away, fail at once rather than queue the request for a caller that may have
      // given up by the time Redis is back (the request would still run, late).
      const lost = this.lostConnectionState();
      if (lost) return reject(new ClamatorTransportError(`Could not send ${qualified}: the Redis connection is ${lost}.`));
      this.pending.add({ id, method: qualified, timeoutMs: timeout, deadline: Date.now() + timeout, resolve, reject });
      this.streams.sendRequest(service, encodeRequest(service, method, params, id), this.replyStream, (error) => {
        if (error) this.pending.take(id)?.reject(new ClamatorTransportError(`Could not send ${qualified}: ${error.message}`, { cause: error }));
      });
    };
    if (this.connecting && !this.stopped) send();
    else this.connect().then(send, (error: Error) => reject(new ClamatorTransportError(`Could not connect: ${error.message}`, { cause: error })));
    return id;
  }

  /** Nest's request path (`send()`): answers through `callback` with the same error objects `call()` rejects with. */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let id: string | undefined;
    try {
      const { service, method } = this.routes.resolve(packet.pattern);
      id = this.dispatch(
        service,
        method,
        packet.data,
        undefined,
        (response) => callback({ response: response ?? null, isDisposed: true }),
        (err) => callback({ err }),
      );
    } catch (err) {
      callback({ err });
    }
    return () => {
      if (id !== undefined) this.pending.take(id);
    };
  }

  /** Nest's event path (`emit()`). */
  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const { service, method } = this.routes.resolve(packet.pattern);
    await this.notify(service, method, packet.data as object);
    return undefined as T;
  }

  private async readReplies(connection: Redis): Promise<void> {
    let lastId = '0-0';
    let failures = 0;
    while (!this.stopped) {
      try {
        const entries = await this.streams.readReplies(connection, this.replyStream, lastId, this.options.replyReadCount, this.options.blockMs);
        if (failures > 0) this._status$.next('connected');
        failures = 0;
        for (const entry of entries) {
          lastId = entry.id;
          this.settle(fieldValue(entry.fields, FIELD_ENVELOPE), entry.id);
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

  /** Rejects pending calls with `ClamatorTransportError`, deletes the reply stream and closes owned connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    for (const call of this.pending.takeAll()) {
      call.reject(new ClamatorTransportError(`Client closed before ${call.method} was answered.`));
    }
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting) {
      await connecting.catch(() => undefined);
      if (this.replyConnection) this.streams.closeBlockingConnection(this.replyConnection);
      await this.replyLoop;
      await this.streams.deleteStream(this.replyStream).catch((error: Error) =>
        this.logger.warn(`Could not delete reply stream ${this.replyStream}: ${error.message}`),
      );
    }
    await this.streams.close();
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

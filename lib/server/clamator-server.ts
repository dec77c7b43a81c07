import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { CLAMATOR_TRANSPORT } from '../protocol/constants.js';
import { ClamatorTransportError } from '../protocol/errors.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import type { ClamatorConnectionEvents, ClamatorStatus } from '../streams/connections/connection-status.js';
import { type ClamatorServerOptions, type ResolvedServerOptions, resolveServerOptions } from './clamator-server.options.js';
import { EntryProcessor } from './entry-processor.js';
import { buildRoutes } from './handler-routes.js';
import { ServiceConsumer } from './service-consumer.js';

/** Events of the command connection that `ClamatorServer.on()` can listen to. */
export type ClamatorServerEvents = ClamatorConnectionEvents;

type Lifecycle = 'idle' | 'starting' | 'listening' | 'closed';

/**
 * Nest transport strategy that serves `@MessagePattern` handlers as clamator methods and
 * `@EventPattern` handlers as clamator notifications, reading each service's command stream
 * through a consumer group.
 *
 * ```ts
 * const app = await NestFactory.createMicroservice(AppModule, {
 *   strategy: new ClamatorServer({ keyPrefix: 'myapp' }),
 * });
 * await app.listen();
 * ```
 */
export class ClamatorServer
  extends Server<ClamatorServerEvents, ClamatorStatus>
  implements CustomTransportStrategy
{
  protected override readonly logger = new Logger(ClamatorServer.name);
  /** Validated options, defaults applied. */
  readonly options: ResolvedServerOptions;
  /** The stream layer this server issues its Redis commands through. */
  readonly streams: ClamatorStreamsService;
  private readonly consumers: ServiceConsumer[] = [];
  private lifecycle: Lifecycle = 'idle';
  private closing: Promise<void> | undefined;
  /** Aborted by `close()`: a `listen()` still waiting for Redis gives up at once. */
  private readonly closeSignal = new AbortController();
  private unwatchConnection: (() => void) | undefined;

  constructor(options: ClamatorServerOptions) {
    super();
    // Nest 12 reads this flag (absent in Nest 11): event-handler errors reach this transport,
    // which replies with them or logs them, so Nest need not report them too.
    Object.assign(this, { propagatesEventHandlerErrors: true });
    this.options = resolveServerOptions(options);
    this.transportId = CLAMATOR_TRANSPORT;
    this.streams = new ClamatorStreamsService({
      keyPrefix: this.options.keyPrefix,
      redis: this.options.redis,
      redisUrl: this.options.redisUrl,
      redisOptions: this.options.redisOptions,
      replyStreamMaxLen: this.options.replyStreamMaxLen,
      connectionName: `clamator-server:${this.options.instanceId}`,
    });
  }

  /** Nest calls this to start the transport: derives services from the handlers and starts one consumer each. */
  async listen(callback: (error?: unknown, ...info: unknown[]) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async start(): Promise<void> {
    if (this.lifecycle === 'closed') {
      throw new Error('ClamatorServer: listen() after close(). Create a new ClamatorServer to listen again.');
    }
    if (this.lifecycle !== 'idle') throw new Error('ClamatorServer: listen() was already called.');
    this.lifecycle = 'starting';
    const routes = buildRoutes(this.getHandlers());
    try {
      await this.createGroups([...routes.keys()]);
    } catch (error) {
      await this.close();
      throw error;
    }
    if (this.closeSignal.signal.aborted) throw new ClamatorTransportError('ClamatorServer: closed while listen() was starting.');
    this.unwatchConnection = this.streams.watchConnectionState((state) => this._status$.next(state));
    const { instanceId, handlerTimeoutMs, maxEnvelopeBytes } = this.options;
    for (const [service, handlers] of routes) {
      const consumer = this.streams.keys.consumer(service, instanceId);
      const processor = new EntryProcessor(service, consumer, handlers, this.streams.keys, this.logger, {
        handlerTimeoutMs,
        maxEnvelopeBytes,
      }, (entryId, field) => this.streams.rawField(service, entryId, field));
      const worker = new ServiceConsumer(
        { ...this.options, service, consumer },
        this.streams,
        processor,
        this.logger,
        (state) => this._status$.next(state),
      );
      this.consumers.push(worker);
    }
    const byStream = new Map(this.consumers.map((worker) => [this.streams.keys.commandStream(worker.service), worker]));
    this.streams.onUnstoredWrites((writes, reason) => {
      for (const write of writes) if (!write.ackWithoutReply) byStream.get(write.streamKey)?.writeFailed(write.entryId, reason);
    });
    for (const worker of this.consumers) worker.start();
    if (this.lifecycle === 'starting') this.lifecycle = 'listening';
    if (routes.size === 0) this.logger.warn('No @MessagePattern or @EventPattern handlers: nothing to serve.');
    this._status$.next('connected');
  }

  /**
   * Waits for Redis to answer, logging the first connection error at once, then creates the
   * consumer group of each service; all within `connectTimeoutMs`, or fails naming the endpoint and
   * the cause, so that a process that cannot reach Redis fails fast and its supervisor restarts it.
   */
  private async createGroups(services: string[]): Promise<void> {
    const { connectTimeoutMs } = this.options;
    const startedAt = Date.now();
    await this.streams.whenReady({
      timeoutMs: connectTimeoutMs,
      signal: this.closeSignal.signal,
      onFirstError: (error) =>
        this.logger.error(
          `Could not reach Redis at ${this.streams.describeEndpoint()} (${error.message}); ` +
            `retrying with backoff for up to ${connectTimeoutMs} ms (connectTimeoutMs).`,
        ),
    });
    const created = Promise.all(services.map((service) => this.streams.ensureGroup(service)));
    const remainingMs = Math.max(connectTimeoutMs - (Date.now() - startedAt), 100);
    if (!(await settlesWithin(created, remainingMs))) {
      created.catch(() => undefined);
      throw new ClamatorTransportError(
        `Redis at ${this.streams.describeEndpoint()} stopped answering while the consumer groups were created ` +
          `(connectTimeoutMs: ${connectTimeoutMs} ms).`,
      );
    }
    await created;
  }

  /**
   * Stops reading at once, lets handlers in flight finish (up to `shutdownGraceMs`), writes their
   * replies and acknowledgements, then closes the connections this server opened. Idempotent, and
   * safe before `listen()`.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.lifecycle = 'closed';
    this.closeSignal.abort();
    this.unwatchConnection?.();
    await Promise.all(this.consumers.map((worker) => worker.stop(this.options.shutdownGraceMs)));
    await this.streams.close();
    this._status$.next('disconnected');
  }

  /** Listens to an event of the command connection (`ready`, `error`, `reconnecting`, `end`). */
  on<EventKey extends keyof ClamatorServerEvents = keyof ClamatorServerEvents>(
    event: EventKey,
    callback: ClamatorServerEvents[EventKey],
  ): void {
    this.streams.connection.on(event, callback as (...args: unknown[]) => void);
  }

  /** The ioredis connection used for non-blocking commands. */
  unwrap<T = Redis>(): T {
    return this.streams.connection as T;
  }
}

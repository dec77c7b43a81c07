import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import { CLAMATOR_TRANSPORT } from '../protocol/constants.js';
import { ClamatorTransportError } from '../protocol/errors.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import type { ClamatorConnectionEvents, ClamatorStatus } from '../streams/connections/connection-status.js';
import { type ClamatorServerOptions, type ResolvedServerOptions, resolveServerOptions } from './clamator-server.options.js';
import { EntryProcessor } from './entry-processor.js';
import { buildRoutes, type RouteGroup } from './handler-routes.js';
import { HandlerRunner, type ProcessingHooks } from './handler-invocation.js';
import type { ClamatorContext } from './clamator.context.js';
import { SubscriptionProcessor } from './subscription-processor.js';
import { type GroupGauge, RpcTelemetry } from '../telemetry/rpc-telemetry.js';
import { ServiceConsumer } from './service-consumer.js';

/** Events of the command connection that `ClamatorServer.on()` can listen to. */
export type ClamatorServerEvents = ClamatorConnectionEvents;

type Lifecycle = 'idle' | 'starting' | 'listening' | 'closed';

/** The processing hooks of Nest 12's `Server` (protected there; absent in Nest 11). */
interface NestProcessingHooks {
  onProcessingStartHook?: unknown;
  onProcessingEndHook?: unknown;
  runWithProcessingHooks?: (context: ClamatorContext, fn: (runEndHook: () => void) => Promise<void>) => void;
}

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
  implements CustomTransportStrategy, ProcessingHooks
{
  protected override readonly logger = new Logger(ClamatorServer.name);
  /** Validated options, defaults applied. */
  readonly options: ResolvedServerOptions;
  /** The stream layer this server issues its Redis commands through. */
  readonly streams: ClamatorStreamsService;
  private readonly consumers: ServiceConsumer[] = [];
  private lifecycle: Lifecycle = 'idle';
  private closing: Promise<void> | undefined;
  /** Runs every handler of this server, inside Nest 12's processing hooks. */
  private readonly runner: HandlerRunner;
  /** Nest 12's start hook as the server was built with it: while it is unchanged and no end hook is set, there are no hooks to run. */
  private readonly defaultStartHook: unknown;
  /** Aborted by `close()`: a `listen()` still waiting for Redis gives up at once. */
  private readonly closeSignal = new AbortController();
  private unwatchConnection: (() => void) | undefined;
  private unobserveGroups: (() => void) | undefined;

  constructor(options: ClamatorServerOptions) {
    super();
    // Nest 12 reads this flag (absent in Nest 11): event-handler errors reach this transport,
    // which replies with them or logs them, so Nest need not report them too.
    Object.assign(this, { propagatesEventHandlerErrors: true });
    this.options = resolveServerOptions(options);
    this.defaultStartHook = (this as unknown as NestProcessingHooks).onProcessingStartHook;
    this.runner = new HandlerRunner(this.options.handlerTimeoutMs, this);
    this.transportId = CLAMATOR_TRANSPORT;
    this.streams = new ClamatorStreamsService({
      keyPrefix: this.options.keyPrefix,
      redis: this.options.redis,
      cluster: this.options.cluster,
      // A cluster is opened from its own nodes and options: the single-Redis ones would be refused beside it.
      redisUrl: this.options.cluster ? undefined : this.options.redisUrl,
      redisOptions: this.options.cluster ? undefined : this.options.redisOptions,
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
      await this.createGroups(routes.groups);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.runner.telemetry ??= await RpcTelemetry.create(this.options.telemetry);
    this.unobserveGroups = this.runner.telemetry?.observeGroups(() => this.groupGauges());
    if (this.closeSignal.signal.aborted) throw new ClamatorTransportError('ClamatorServer: closed while listen() was starting.');
    this.unwatchConnection = this.streams.watchConnectionState((state) => this._status$.next(state));
    for (const route of routes.groups) this.consumers.push(this.consumerFor(route));
    const byGroup = new Map(this.consumers.map((worker) => [`${this.streams.keys.commandStream(worker.service)}\n${worker.group}`, worker]));
    this.streams.onUnstoredWrites((writes, reason) => {
      for (const write of writes) {
        if (!write.ackWithoutReply) byGroup.get(`${write.streamKey}\n${write.group}`)?.writeFailed(write.entryId, reason);
      }
    });
    for (const worker of this.consumers) worker.start();
    if (this.lifecycle === 'starting') this.lifecycle = 'listening';
    if (routes.groups.length === 0) this.logger.warn('No @MessagePattern or @EventPattern handlers: nothing to serve.');
    for (const [service, methods] of routes.eventOnlyServices) this.warnEventOnly(service, methods);
    this._status$.next('connected');
  }

  /** The consumer of one group: the service's own, answering as the service, or a subscription's, hearing its notifications. */
  private consumerFor({ service, subscription, handlers }: RouteGroup): ServiceConsumer {
    const { keys } = this.streams;
    const { instanceId, maxEnvelopeBytes } = this.options;
    const { logger, runner } = this;
    const own = subscription === undefined;
    const group = own ? keys.group(service) : keys.subscriptionGroup(subscription);
    const consumer = keys.consumer(own ? service : subscription, instanceId);
    const processor = own
      ? new EntryProcessor({
          service, consumer, handlers, keys, logger, maxEnvelopeBytes, runner,
          rawField: (entryId, field) => this.streams.rawField(service, entryId, field),
        })
      : new SubscriptionProcessor(service, subscription, consumer, handlers, logger, maxEnvelopeBytes, runner);
    return new ServiceConsumer(
      { ...this.options, service, group, subscription, consumer },
      this.streams,
      processor,
      this.logger,
      (state) => this._status$.next(state),
      () => this.runner.telemetry?.deadLettered(service),
    );
  }

  /** The trap of Nest's other transports: an `@EventPattern` alone makes this server one of the service's own servers. */
  private warnEventOnly(service: string, methods: string[]): void {
    const first = `${service}.${methods[0]}`;
    this.logger.warn(
      `Service "${service}": this server has only @EventPattern handlers for it (${methods.map((m) => `${service}.${m}`).join(', ')}), ` +
        `so it joins the service's own consumer group "${service}" and competes for all its entries: requests to its other ` +
        `methods are answered -32601 here, and each notification reaches only one of the service's servers. To hear these ` +
        `notifications alongside the service, subscribe: @EventPattern('${first}', { subscription: '<name>' }). If the ` +
        `service's API is notifications only, add { compete: true } to silence this warning.`,
    );
  }

  /**
   * Waits for Redis to answer, logging the first connection error at once, then creates the
   * consumer group of each service and subscription; all within `connectTimeoutMs`, or fails naming the endpoint and
   * the cause, so that a process that cannot reach Redis fails fast and its supervisor restarts it.
   */
  private async createGroups(groups: readonly RouteGroup[]): Promise<void> {
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
    // A subscription hears what is written from its creation on; the service's own group starts at the beginning.
    const created = Promise.all(
      groups.map(({ service, subscription }) =>
        subscription === undefined
          ? this.streams.ensureGroup(service)
          : this.streams
              .ensureGroup(service, '$', this.streams.keys.subscriptionGroup(subscription))
              .then(() => this.streams.touchSubscription(service, subscription)),
      ),
    );
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
   * Runs `work` (one delivery's handler) between Nest 12's processing start and end hooks, each
   * exactly once, with its `ClamatorContext`. Without hooks (Nest 11, or none set) it just runs it.
   */
  around<T>(context: ClamatorContext, work: () => Promise<T>): Promise<T> {
    const nest = this as unknown as NestProcessingHooks;
    const runWithHooks = nest.runWithProcessingHooks;
    if (typeof runWithHooks !== 'function') return work();
    if (nest.onProcessingStartHook === this.defaultStartHook && nest.onProcessingEndHook === undefined) return work();
    return new Promise<T>((resolve, reject) => {
      runWithHooks.call(this, context, async (runEndHook) => {
        try {
          resolve(await work());
        } catch (error) {
          reject(error);
        } finally {
          runEndHook();
        }
      });
    });
  }

  /**
   * The consumer groups this server reads: one per served service (the group named after it) and
   * one per subscription (`subscription:<name>` on the service's command stream). Empty until
   * `listen()` has derived them from the handlers. For health checks and tools; read-only.
   */
  servedGroups(): Array<{ readonly service: string; readonly group: string }> {
    return this.consumers.map(({ service, group }) => ({ service, group }));
  }

  /** What each group this server reads holds now (pending, lag), for the telemetry gauges. */
  private async groupGauges(): Promise<GroupGauge[]> {
    const gauges: GroupGauge[] = [];
    for (const service of new Set(this.consumers.map((consumer) => consumer.service))) {
      const served = new Set(this.consumers.filter((consumer) => consumer.service === service).map((consumer) => consumer.group));
      for (const { name, pending, lag } of await this.streams.groupStates(service)) {
        if (served.has(name)) gauges.push({ service, group: name, pending, lag });
      }
    }
    return gauges;
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
    this.unobserveGroups?.();
    await Promise.all(this.consumers.map((worker) => worker.stop(this.options.shutdownGraceMs)));
    await this.streams.close();
    this._status$.next('disconnected');
  }

  /**
   * Listens to an event of the command connection, the injected one included (`connect`, `ready`,
   * `error`, `close`, `reconnecting`, `end`).
   */
  on<EventKey extends keyof ClamatorServerEvents = keyof ClamatorServerEvents>(
    event: EventKey,
    callback: ClamatorServerEvents[EventKey],
  ): void {
    this.streams.connection.on(event, callback as (...args: unknown[]) => void);
  }

  /** The ioredis connection used for non-blocking commands. */
  unwrap<T = RedisConnection>(): T {
    return this.streams.connection as T;
  }
}

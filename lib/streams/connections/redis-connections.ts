import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { ClamatorClusterOptions } from '../../options/connection.options.js';
import { backoffDelayMs } from './backoff.js';
import { settlesWithin } from './bounded-wait.js';

/** A connection the transport issues commands on: one Redis, or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** True for an ioredis `Cluster` (duck-typed: the caller may use another ioredis copy or major). */
export function isCluster(connection: RedisConnection): connection is Cluster {
  return (connection as { isCluster?: boolean }).isCluster === true;
}

/** Where connections come from: a caller-owned connection, a cluster or a URL the transport connects to itself. */
export interface ConnectionSource {
  readonly redis?: RedisConnection;
  readonly cluster?: ClamatorClusterOptions;
  readonly redisUrl: string;
  readonly redisOptions?: RedisOptions;
}

/**
 * Commands the command connection sends without ioredis's auto-pipelining: the requests and
 * replies, which the append and write batchers already gather into one command per tick (per slot);
 * auto-pipelining them only adds an ioredis Pipeline object for each, on the hot path.
 */
const UNPIPELINED_COMMANDS = ['xadd', 'evalsha', 'eval'];

/**
 * ioredis settings for connections the transport opens: wait out outages instead of failing
 * commands. `disconnectTimeout: 0` because `closeNow` destroys the socket itself: ioredis's own
 * grace timer (2 s) would otherwise outlive a close whose socket was already gone, and keep the
 * process alive that long.
 */
const OWNED_DEFAULTS: RedisOptions = {
  maxRetriesPerRequest: null,
  retryStrategy: (attempt: number) => backoffDelayMs(attempt),
  disconnectTimeout: 0,
};

/**
 * Cluster settings for clusters the transport opens: during a failover (MOVED, ASK, CLUSTERDOWN,
 * a master gone until its replica is promoted) commands wait and are retried with backoff instead
 * of failing after 16 redirections within a few milliseconds.
 */
const CLUSTER_DEFAULTS: ClusterOptions = {
  clusterRetryStrategy: (attempt: number) => backoffDelayMs(attempt),
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 200,
  retryDelayOnMoved: 0,
  maxRedirections: 64,
  slotsRefreshTimeout: 2000,
};

/** How long a graceful QUIT of the command connection may take before the socket is destroyed. */
export const QUIT_BOUND_MS = 500;

/**
 * Errors of a connection opened here surface where it matters (a failed command, a read loop that
 * backs off and logs once); without a listener ioredis would also print every one of them.
 */
function quietErrors<T extends RedisConnection>(connection: T): T {
  connection.on('error', () => undefined);
  return connection;
}

/**
 * Closes a connection at once, whatever state it is in. `disconnect()` alone only ends the socket:
 * a frozen or paused Redis never answers the FIN, so the socket, and every command waiting on it,
 * would outlive the close and keep the process alive. Destroying the socket closes it for good and
 * makes ioredis reject what was waiting ("Connection is closed").
 */
export function closeNow(connection: RedisConnection): void {
  if (isCluster(connection)) {
    // The node connections may be frozen too: destroy each socket, as for a single Redis.
    const nodes = connection.nodes();
    connection.disconnect();
    for (const node of nodes) closeNow(node);
    return;
  }
  connection.disconnect();
  connection.stream?.destroy();
}

/**
 * A duplicate of a caller's connection with `overrides`. A Cluster's `duplicate` takes startup
 * nodes first and replaces `redisOptions` whole, so the overrides go into a merged copy of them;
 * the cluster-level defaults make the duplicate wait out failovers like the clusters opened here.
 */
function duplicateWith(connection: RedisConnection, overrides: RedisOptions): RedisConnection {
  if (!isCluster(connection)) return connection.duplicate(overrides);
  return connection.duplicate(undefined, {
    ...CLUSTER_DEFAULTS,
    enableAutoPipelining: false,
    redisOptions: { ...connection.options.redisOptions, ...overrides },
  });
}

/**
 * The connections of one endpoint. Non-blocking commands share one connection (the injected one,
 * or one opened here with auto-pipelining); every blocking read gets a dedicated connection so
 * that a shared connection is never blocked. Only connections opened here are ever closed here.
 */
export class RedisConnections {
  private ownedCommand: RedisConnection | undefined;
  private readonly blocking = new Set<RedisConnection>();

  constructor(
    private readonly source: ConnectionSource,
    private readonly connectionName: string,
  ) {}

  /** True when commands go to a Redis Cluster (injected or opened here). */
  get isCluster(): boolean {
    return this.source.cluster !== undefined || (this.source.redis !== undefined && isCluster(this.source.redis));
  }

  /** The connection for non-blocking commands, opened on first use. */
  get command(): RedisConnection {
    if (this.source.redis) return this.source.redis;
    this.ownedCommand ??= quietErrors(this.open(this.connectionName, true));
    return this.ownedCommand;
  }

  /** The command connection when there is one (the injected one always is), without opening one. */
  get openedCommand(): RedisConnection | undefined {
    return this.source.redis ?? this.ownedCommand;
  }

  /** Opens a connection reserved for one blocking read loop. */
  openBlocking(purpose: string): RedisConnection {
    const name = `${this.connectionName}:${purpose}`;
    const connection = quietErrors(
      this.source.redis
        ? duplicateWith(this.source.redis, { ...OWNED_DEFAULTS, enableAutoPipelining: false, connectionName: name })
        : this.open(name, false),
    );
    this.blocking.add(connection);
    return connection;
  }

  /** A connection of the transport's own, from `cluster` or `redisUrl`; the caller's options win over the defaults. */
  private open(connectionName: string, autoPipelining: boolean): RedisConnection {
    const cluster = this.source.cluster;
    if (cluster) {
      const options = cluster.options ?? {};
      return new Cluster(cluster.nodes, {
        ...CLUSTER_DEFAULTS,
        enableAutoPipelining: autoPipelining,
        autoPipeliningIgnoredCommands: UNPIPELINED_COMMANDS,
        ...options,
        // A blocking read must never be auto-pipelined behind other commands, whatever the options say.
        ...(autoPipelining ? {} : { enableAutoPipelining: false }),
        redisOptions: { ...OWNED_DEFAULTS, connectionName, ...options.redisOptions },
      });
    }
    const overrides: RedisOptions = {
      ...OWNED_DEFAULTS,
      enableAutoPipelining: autoPipelining,
      autoPipeliningIgnoredCommands: UNPIPELINED_COMMANDS,
      connectionName,
      ...this.source.redisOptions,
    };
    // A blocking read must never be auto-pipelined behind other commands, whatever redisOptions say.
    if (!autoPipelining) overrides.enableAutoPipelining = false;
    return new Redis(this.source.redisUrl, overrides);
  }

  /** Closes one blocking connection at once (a read blocked on it ends with a "Connection is closed" error). */
  closeBlocking(connection: RedisConnection): void {
    this.blocking.delete(connection);
    closeNow(connection);
  }

  /**
   * Closes every connection opened here; the injected one is left alone. The command connection
   * says QUIT when Redis is there to hear it, for at most `QUIT_BOUND_MS`; then, or at once when
   * Redis is away, its socket is destroyed.
   */
  async close(): Promise<void> {
    for (const connection of this.blocking) closeNow(connection);
    this.blocking.clear();
    const owned = this.ownedCommand;
    this.ownedCommand = undefined;
    if (!owned) return;
    if (owned.status === 'ready') await settlesWithin(owned.quit(), QUIT_BOUND_MS);
    closeNow(owned);
  }
}

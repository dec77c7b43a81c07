import { Redis, type RedisOptions } from 'ioredis';
import { backoffDelayMs } from './backoff.js';
import { settlesWithin } from './bounded-wait.js';

/** Where connections come from: a caller-owned connection, or a URL the transport connects to itself. */
export interface ConnectionSource {
  readonly redis?: Redis;
  readonly redisUrl: string;
  readonly redisOptions?: RedisOptions;
}

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

/** How long a graceful QUIT of the command connection may take before the socket is destroyed. */
export const QUIT_BOUND_MS = 500;

/**
 * Errors of a connection opened here surface where it matters (a failed command, a read loop that
 * backs off and logs once); without a listener ioredis would also print every one of them.
 */
function quietErrors(connection: Redis): Redis {
  connection.on('error', () => undefined);
  return connection;
}

/**
 * Closes a connection at once, whatever state it is in. `disconnect()` alone only ends the socket:
 * a frozen or paused Redis never answers the FIN, so the socket, and every command waiting on it,
 * would outlive the close and keep the process alive. Destroying the socket closes it for good and
 * makes ioredis reject what was waiting ("Connection is closed").
 */
export function closeNow(connection: Redis): void {
  connection.disconnect();
  connection.stream?.destroy();
}

/**
 * The connections of one endpoint. Non-blocking commands share one connection (the injected one,
 * or one opened here with auto-pipelining); every blocking read gets a dedicated connection so
 * that a shared connection is never blocked. Only connections opened here are ever closed here.
 */
export class RedisConnections {
  private ownedCommand: Redis | undefined;
  private readonly blocking = new Set<Redis>();

  constructor(
    private readonly source: ConnectionSource,
    private readonly connectionName: string,
  ) {}

  /** The connection for non-blocking commands, opened on first use. */
  get command(): Redis {
    if (this.source.redis) return this.source.redis;
    this.ownedCommand ??= quietErrors(
      new Redis(this.source.redisUrl, {
        ...OWNED_DEFAULTS,
        enableAutoPipelining: true,
        connectionName: this.connectionName,
        ...this.source.redisOptions,
      }),
    );
    return this.ownedCommand;
  }

  /** The command connection when there is one (the injected one always is), without opening one. */
  get openedCommand(): Redis | undefined {
    return this.source.redis ?? this.ownedCommand;
  }

  /** Opens a connection reserved for one blocking read loop. */
  openBlocking(purpose: string): Redis {
    const overrides: RedisOptions = {
      ...OWNED_DEFAULTS,
      enableAutoPipelining: false,
      connectionName: `${this.connectionName}:${purpose}`,
    };
    const connection = quietErrors(
      this.source.redis
        ? this.source.redis.duplicate(overrides)
        : new Redis(this.source.redisUrl, { ...overrides, ...this.source.redisOptions, enableAutoPipelining: false }),
    );
    this.blocking.add(connection);
    return connection;
  }

  /** Closes one blocking connection at once (a read blocked on it ends with a "Connection is closed" error). */
  closeBlocking(connection: Redis): void {
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

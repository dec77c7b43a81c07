import { randomUUID } from 'node:crypto';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { DEFAULTS } from '../protocol/constants.js';
import { OptionRules } from './option-rules.js';

/** A Redis Cluster the transport opens and owns (`ClamatorConnectionOptions.cluster`). */
export interface ClamatorClusterOptions {
  /** Startup nodes (`{ host, port }`, a port, or a `redis://` URL); at least one. Required. */
  nodes: ClusterNode[];
  /**
   * ioredis Cluster options (`redisOptions`, `scaleReads`, `natMap`, ...), merged over the
   * transport's defaults, which wait out a failover instead of failing: `retryDelayOnFailover`,
   * `retryDelayOnClusterDown` and `retryDelayOnTryAgain` 200 ms, `maxRedirections` 64, slots
   * refreshed with backoff; node connections with `maxRetriesPerRequest: null`. Default: none.
   */
  options?: ClusterOptions;
}

/** Options every clamator endpoint (server, client, streams service) takes. */
export interface ClamatorConnectionOptions {
  /**
   * Literal prefix of every key (`<keyPrefix>:cmds:<service>`, `<keyPrefix>:replies:<id>`).
   * Peers that talk to each other use the same prefix. Required.
   */
  keyPrefix: string;
  /**
   * An ioredis connection (RESP2 or RESP3, ioredis 5 or 6), a `Redis` or a `Cluster`, that the
   * caller owns. It is used for non-blocking commands and never closed by the transport; blocking
   * reads run on duplicates of it. Default: a connection the transport opens from `cluster` or `redisUrl`.
   */
  redis?: Redis | Cluster;
  /**
   * A Redis Cluster for the transport to open (and close): startup nodes and ioredis Cluster
   * options. Excludes `redis`, `redisUrl` and `redisOptions` (put node options in
   * `cluster.options.redisOptions`); `$REDIS_URL` is not read. Default: none (a single Redis).
   */
  cluster?: ClamatorClusterOptions;
  /** URL of the Redis to connect to when no `redis` is given. Default: `$REDIS_URL`, else `redis://localhost:6379`. */
  redisUrl?: string;
  /** Extra ioredis options for the connections the transport opens from `redisUrl`. Default: none. */
  redisOptions?: RedisOptions;
  /** Identity of this instance in consumer names and reply-stream keys. Default: a random UUID v4. */
  instanceId?: string;
}

/** Every option of `ClamatorConnectionOptions`; the type checker fails when one is missing. */
export const CONNECTION_OPTION_NAMES = {
  keyPrefix: true,
  redis: true,
  redisUrl: true,
  redisOptions: true,
  cluster: true,
  instanceId: true,
} as const satisfies Record<keyof ClamatorConnectionOptions, true>;

/** Where to connect and under which prefix, after defaults are applied. */
export interface ResolvedConnectionSource {
  readonly keyPrefix: string;
  readonly redis: Redis | Cluster | undefined;
  readonly cluster: ClamatorClusterOptions | undefined;
  readonly redisUrl: string;
  readonly redisOptions: RedisOptions;
}

/** Connection options after defaults are applied. */
export interface ResolvedConnectionOptions extends ResolvedConnectionSource {
  readonly instanceId: string;
}

/** Applies defaults to the prefix and connection options and validates them. */
export function resolveConnectionSource(
  rules: OptionRules,
  options: Omit<ClamatorConnectionOptions, 'instanceId'>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionSource {
  const keyPrefix = rules.requiredString('keyPrefix', options.keyPrefix, ' (the prefix shared with the peers, e.g. "myapp")');
  const redis = rules.redisConnection<Redis | Cluster>('redis', options.redis);
  const cluster = resolveCluster(rules, options);
  // A cluster never falls back to a single Redis: $REDIS_URL is not even read then.
  const redisUrl = cluster
    ? DEFAULTS.redisUrl
    : options.redisUrl !== undefined
      ? rules.redisUrl('redisUrl', options.redisUrl)
      : env.REDIS_URL
        ? rules.redisUrl('redisUrl (from $REDIS_URL)', env.REDIS_URL)
        : DEFAULTS.redisUrl;
  rules.object('redisOptions', options.redisOptions);
  return { keyPrefix, redis, cluster, redisUrl, redisOptions: options.redisOptions ?? {} };
}

/** Validates `cluster`: startup nodes given, and none of the single-Redis options beside it. */
function resolveCluster(rules: OptionRules, options: Omit<ClamatorConnectionOptions, 'instanceId'>): ClamatorClusterOptions | undefined {
  const cluster = options.cluster;
  if (cluster === undefined) return undefined;
  rules.object('cluster', cluster);
  for (const other of ['redis', 'redisUrl', 'redisOptions'] as const) {
    if (options[other] !== undefined) {
      rules.refuse(other, `cannot be combined with "cluster"${other === 'redisOptions' ? ' (use cluster.options.redisOptions)' : ''}`, options[other]);
    }
  }
  if (!Array.isArray(cluster.nodes) || cluster.nodes.length === 0) {
    rules.refuse('cluster.nodes', 'must be a non-empty array of startup nodes ({ host, port }, a port or a redis:// URL)', cluster.nodes);
  }
  rules.object('cluster.options', cluster.options);
  return cluster;
}

/** Applies defaults to connection options (instance id included) and validates them. */
export function resolveConnectionOptions(
  rules: OptionRules,
  options: ClamatorConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionOptions {
  const source = resolveConnectionSource(rules, options, env);
  return { ...source, instanceId: rules.optionalString('instanceId', options.instanceId, randomUUID()) };
}

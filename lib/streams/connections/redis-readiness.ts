import type { Cluster } from 'ioredis';
import { isCluster, type RedisConnection } from './redis-connections.js';
import { ClamatorTransportError } from '../../protocol/errors.js';

/**
 * Where a connection points, as a URL fit for logs and errors: the password, when there is one,
 * shows as `***`. Read off the connection's resolved options, so that it holds for a URL, for
 * `redisOptions` and for an injected connection alike.
 */
export function describeRedisEndpoint(connection: RedisConnection): string {
  if (isCluster(connection)) return describeCluster(connection);
  const { host, port, path, tls, username, password, sentinels, name } = connection.options;
  if (sentinels && sentinels.length > 0) {
    return `sentinel://${sentinels.map((sentinel) => `${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}`).join(',')}/${name ?? 'mymaster'}`;
  }
  if (path) return `unix://${path}`;
  const credentials = password ? `${username ?? ''}:***@` : username ? `${username}@` : '';
  return `${tls ? 'rediss' : 'redis'}://${credentials}${host}:${port}`;
}

/**
 * A cluster as `redis-cluster://host:port,...`: the nodes it knows, else (not connected yet, or
 * never reached) the startup nodes it was given; no credentials.
 */
function describeCluster(cluster: Cluster): string {
  let nodes = cluster.nodes().map((node) => `${node.options.host}:${node.options.port}`);
  if (nodes.length === 0) {
    // ioredis keeps the startup nodes on the instance without declaring them: read, never written.
    const startup = (cluster as unknown as { startupNodes?: unknown[] }).startupNodes ?? [];
    nodes = startup.map(describeStartupNode);
  }
  return `redis-cluster://${nodes.join(',')}`;
}

function describeStartupNode(node: unknown): string {
  if (typeof node === 'number') return `localhost:${node}`;
  if (typeof node === 'string') {
    // A URL may hold a password: only its host and port are shown.
    try {
      const url = new URL(node.includes('://') ? node : `redis://${node}`);
      return `${url.hostname}:${url.port || 6379}`;
    } catch {
      return '(unreadable node)';
    }
  }
  const { host, port } = (node ?? {}) as { host?: string; port?: number };
  return `${host ?? 'localhost'}:${port ?? 6379}`;
}

/** How `waitUntilReady` waits. */
export interface ReadinessWait {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Gives up at once when aborted (the owner is closing). */
  readonly signal?: AbortSignal;
  /** Told of the first connection error while waiting, so that it can be logged at once. */
  readonly onFirstError?: (error: Error) => void;
}

/**
 * Resolves once Redis has answered on `connection` (ioredis status `ready`). Rejects with a
 * `ClamatorTransportError` naming the endpoint and the last connection error when that takes longer
 * than `timeoutMs`, when the connection is closed, or when `signal` aborts. ioredis keeps retrying
 * meanwhile; a connection created with `lazyConnect` is connected here.
 */
export function waitUntilReady(connection: RedisConnection, { timeoutMs, signal, onFirstError }: ReadinessWait): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      if (!lastError) onFirstError?.(error);
      lastError = error;
    };
    const fail = (what: string) => {
      cleanup();
      const cause = lastError ? `: ${lastError.message}` : ': no answer';
      reject(new ClamatorTransportError(`Could not reach Redis at ${describeRedisEndpoint(connection)} ${what}${cause}`, { cause: lastError }));
    };
    const onEnd = () => fail('(the connection was closed)');
    const onAbort = () => fail('(closed while connecting)');
    const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('error', onError);
      connection.off('end', onEnd);
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) return onAbort();
    if (connection.status === 'end') return onEnd();
    connection.on('ready', onReady);
    connection.on('error', onError);
    connection.on('end', onEnd);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (connection.status === 'wait') connection.connect().catch(() => undefined);
  });
}

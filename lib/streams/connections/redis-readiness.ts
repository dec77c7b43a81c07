import { isCluster, type RedisConnection } from './redis-connections.js';
import { ClamatorTransportError } from '../../protocol/errors.js';

/**
 * Where a connection points, as a URL fit for logs and errors: the password, when there is one,
 * shows as `***`. Read off the connection's resolved options, so that it holds for a URL, for
 * `redisOptions` and for an injected connection alike.
 */
export function describeRedisEndpoint(connection: RedisConnection): string {
  if (isCluster(connection)) {
    const nodes = connection.nodes().map((node) => `${node.options.host}:${node.options.port}`);
    return `redis-cluster://${nodes.length > 0 ? nodes.join(',') : '(no node known yet)'}`;
  }
  const { host, port, path, tls, username, password, sentinels, name } = connection.options;
  if (sentinels && sentinels.length > 0) {
    return `sentinel://${sentinels.map((sentinel) => `${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}`).join(',')}/${name ?? 'mymaster'}`;
  }
  if (path) return `unix://${path}`;
  const credentials = password ? `${username ?? ''}:***@` : username ? `${username}@` : '';
  return `${tls ? 'rediss' : 'redis'}://${credentials}${host}:${port}`;
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

import { isCluster, type RedisConnection } from './redis-connections.js';

/** A socket whose writes can be gathered into one (`cork`) and sent together (`uncork`). */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * The socket of a single Redis connection that is ready, where ioredis writes each command as it
 * is issued: corked around several commands, they leave in one write. `undefined` for a cluster
 * (its commands go to several nodes) and for a connection that is not ready (its commands wait in
 * the offline queue).
 */
export function corkableSocket(connection: RedisConnection): CorkableSocket | undefined {
  if (isCluster(connection) || connection.status !== 'ready') return undefined;
  const socket = (connection as { stream?: { cork?: unknown; uncork?: unknown } }).stream;
  return socket !== undefined && typeof socket.cork === 'function' && typeof socket.uncork === 'function'
    ? (socket as CorkableSocket)
    : undefined;
}

import { isCluster, type RedisConnection } from './redis-connections.js';

/**
 * The server-side id of a connection (`CLIENT ID`); `undefined` when not permitted, and on a
 * cluster: there an id would be asked of (and CLIENT UNBLOCK sent to) whichever node ioredis picks,
 * not the one serving the blocked read, so a read is ended by closing its connection instead.
 */
export async function clientIdOf(connection: RedisConnection): Promise<number | undefined> {
  if (isCluster(connection)) return undefined;
  try {
    return Number(await connection.client('ID'));
  } catch {
    return undefined;
  }
}

/**
 * Ends the blocking read of the connection with id `clientId` as if it had timed out
 * (`CLIENT UNBLOCK`), sent on `through`; false when not permitted or nothing was blocked.
 */
export async function unblockClient(through: RedisConnection, clientId: number): Promise<boolean> {
  // Never on a cluster: the id would be looked up on a random node, which may unblock another client.
  if (isCluster(through)) return false;
  try {
    return Number(await through.client('UNBLOCK', clientId)) === 1;
  } catch {
    return false;
  }
}

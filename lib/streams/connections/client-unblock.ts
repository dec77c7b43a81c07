import type { Redis } from 'ioredis';

/** The server-side id of a connection (`CLIENT ID`); `undefined` when not permitted. */
export async function clientIdOf(connection: Redis): Promise<number | undefined> {
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
export async function unblockClient(through: Redis, clientId: number): Promise<boolean> {
  try {
    return Number(await through.client('UNBLOCK', clientId)) === 1;
  } catch {
    return false;
  }
}

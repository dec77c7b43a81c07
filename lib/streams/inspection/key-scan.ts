import { isCluster, type RedisConnection } from '../connections/redis-connections.js';
import { toText } from '../stream-replies.js';

/** Keys asked for per SCAN call: enough to cross a large keyspace in few round trips, small enough not to hold Redis long. */
const SCAN_COUNT = 1_000;

/**
 * `literal` as a SCAN `MATCH` pattern that matches exactly that text: a key prefix is never parsed
 * and may hold `*`, `?`, `[`, `]` or `\`, which MATCH would otherwise read as a glob.
 */
export function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * Every stream key that starts with `literalPrefix` (`SCAN ... MATCH <prefix>* TYPE stream`), each
 * once, sorted. SCAN walks the keyspace a slice per call, so Redis is never held for long; a key
 * created or deleted meanwhile may or may not be listed.
 */
export async function scanStreamKeys(connection: RedisConnection, literalPrefix: string): Promise<string[]> {
  const found = new Set<string>();
  // SCAN walks one node's keyspace: a cluster's keys are spread over its masters.
  const nodes = isCluster(connection) ? connection.nodes('master') : [connection];
  for (const node of nodes) await scanNode(node, literalPrefix, found);
  return [...found].sort();
}

async function scanNode(connection: RedisConnection, literalPrefix: string, found: Set<string>): Promise<void> {
  const pattern = `${escapeGlob(literalPrefix)}*`;
  let cursor = '0';
  do {
    const reply = (await connection.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT, 'TYPE', 'stream')) as unknown[];
    cursor = toText(reply[0]);
    const keys = Array.isArray(reply[1]) ? reply[1] : [];
    for (const key of keys) {
      const text = toText(key);
      // MATCH already says so; checked again so that a pattern mistake can never widen the scope.
      if (text.startsWith(literalPrefix)) found.add(text);
    }
  } while (cursor !== '0');
}

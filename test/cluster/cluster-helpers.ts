import { Cluster, type Redis } from 'ioredis';
import { keySlot } from '../../lib/streams/cluster/key-slot.js';
import type { RedisClusterProcess } from '../utils/redis-cluster.js';

/**
 * Cluster tests test the transport, not Nest: under `CLAMATOR_NEST=11` they are skipped to keep
 * the CI budget (they do run with ioredis 5, whose Cluster differs).
 */
export const describeCluster = process.env.CLAMATOR_NEST === '11' ? describe.skip : describe;

/** `count` service names whose command streams `<prefix>:cmds:<name>` are served by `count` different masters. */
export async function servicesOnDistinctMasters(cluster: RedisClusterProcess, prefix: string, count: number): Promise<string[]> {
  const picked = new Map<number, string>();
  for (let i = 0; i < 1000 && picked.size < count; i += 1) {
    const name = `svc${i}`;
    const master = await cluster.masterOfSlot(keySlot(`${prefix}:cmds:${name}`));
    if (!picked.has(master.port)) picked.set(master.port, name);
  }
  if (picked.size < count) throw new Error(`found no ${count} services on distinct masters`);
  return [...picked.values()];
}

/** Entries of `group` on `stream` delivered and not acknowledged. */
export async function pendingOf(cluster: Cluster, stream: string, group: string): Promise<number> {
  const summary = (await cluster.xpending(stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** A cluster connection as the raw-peer helpers take it (they only use commands both have). */
export function asRedis(cluster: Cluster): Redis {
  return cluster as unknown as Redis;
}

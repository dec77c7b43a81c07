import type { Cluster } from 'ioredis';

/**
 * Cluster tests test the transport, not Nest: under `CLAMATOR_NEST=11` they are skipped to keep
 * the CI budget (they do run with ioredis 5, whose Cluster differs).
 */
export const describeCluster = process.env.CLAMATOR_NEST === '11' ? describe.skip : describe;

/** Entries of `group` on `stream` delivered and not acknowledged. */
export async function pendingOf(cluster: Cluster, stream: string, group: string): Promise<number> {
  const summary = (await cluster.xpending(stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/**
 * Shared pieces of the fault tests: worker processes running test/e2e/fixtures/fault-worker.main.ts,
 * and small Redis probes (pending counts, the hashes the worker records handled ids in).
 */
import type { Redis } from 'ioredis';
import { TsProcess } from '../utils/child-process.js';

export const FAULT_WORKER = 'test/e2e/fixtures/fault-worker.main.ts';

/** Settings of one worker process (see the fixture's header for what each one sets). */
export interface WorkerSettings {
  REDIS_URL: string;
  CLAMATOR_PREFIX: string;
  INSTANCE_ID?: string;
  CONSUMER_CLAIM_IDLE_MS?: number;
  MAX_DELIVERIES?: number;
  CONCURRENCY?: number;
  READ_COUNT?: number;
  BLOCK_MS?: number;
  HANDLER_TIMEOUT_MS?: number;
  MAX_ENVELOPE_BYTES?: number;
  DEAD_CONSUMER_IDLE_MS?: number;
  MAINTENANCE_INTERVAL_MS?: number;
  SHUTDOWN_GRACE_MS?: number;
}

/** Every worker process a test started, so that `killAll` can end them whatever the test did. */
export class WorkerPool {
  private readonly processes = new Set<TsProcess>();

  /** Starts a worker and waits until it prints "ready". */
  async start(settings: WorkerSettings): Promise<TsProcess> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings)) if (value !== undefined) env[name] = String(value);
    const worker = new TsProcess(FAULT_WORKER, env);
    this.processes.add(worker);
    await worker.waitForLine(/^ready$/, 30_000);
    return worker;
  }

  /** SIGKILLs every worker still running and waits for them to be gone. */
  async killAll(): Promise<void> {
    const all = [...this.processes];
    this.processes.clear();
    for (const worker of all) worker.kill('SIGKILL');
    await Promise.all(all.map((worker) => worker.exited));
  }
}

/** Number of entries pending (delivered, not acknowledged) in the group of `service`. */
export async function pendingCount(redis: Redis, keyPrefix: string, service: string): Promise<number> {
  const [count] = (await redis.xpending(`${keyPrefix}:cmds:${service}`, service)) as [number];
  return Number(count);
}

/** A hash of counters (`field -> count`) as numbers. */
export async function counters(redis: Redis, key: string): Promise<Map<string, number>> {
  const raw = await redis.hgetall(key);
  return new Map(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}

/** Field/value pairs of a flat `[field, value, ...]` stream entry list, as a plain object. */
export function fieldsOf(fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]] = fields[i + 1];
  return record;
}

/** Consumers of the group of `service` by name, with their pending counts (XINFO CONSUMERS). */
export async function consumersOf(redis: Redis, keyPrefix: string, service: string): Promise<Map<string, number>> {
  const rows = (await redis.xinfo('CONSUMERS', `${keyPrefix}:cmds:${service}`, service)) as unknown[][];
  const consumers = new Map<string, number>();
  for (const row of rows) {
    const record = fieldsOf(row.map(String));
    consumers.set(record.name, Number(record.pending));
  }
  return consumers;
}

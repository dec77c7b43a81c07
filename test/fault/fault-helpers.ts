/**
 * Shared pieces of the fault tests: worker processes running test/e2e/fixtures/fault-worker.main.ts,
 * small Redis probes (pending counts, the hashes the worker records handled ids in), and bounds on
 * promises that may never settle on the code under test (a test must end with a clear failure, not
 * a jest timeout).
 */
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError } from '../../lib/index.js';
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

/** How a promise ended within a time limit, and when (`ms` after `settleWithin` was called). */
export type Settled<T> =
  | { state: 'resolved'; value: T; ms: number }
  | { state: 'rejected'; error: unknown; ms: number }
  | { state: 'hung'; ms: number };

/** Waits for `promise` for at most `limitMs`; never rejects, and leaves no timer behind. */
export function settleWithin<T>(promise: Promise<T>, limitMs: number): Promise<Settled<T>> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ state: 'hung', ms: Date.now() - started }), limitMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ state: 'resolved', value, ms: Date.now() - started });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ state: 'rejected', error, ms: Date.now() - started });
      },
    );
  });
}

/** One line for failure messages: `resolved after 12 ms`, `rejected after 1501 ms with Name: message`, `still pending after 6500 ms`. */
export function describeSettled(settled: Settled<unknown>): string {
  if (settled.state === 'hung') return `still pending after ${settled.ms} ms`;
  if (settled.state === 'resolved') return `resolved after ${settled.ms} ms with ${JSON.stringify(settled.value) ?? 'undefined'}`;
  const error = settled.error as Error;
  return `rejected after ${settled.ms} ms with ${error?.name}: ${error?.message}`;
}

/** The error a settled promise rejected with; throws a readable failure when it resolved or is still pending. */
export function rejectionOf(settled: Settled<unknown>): Error {
  if (settled.state !== 'rejected') throw new Error(`expected a rejection, but the promise ${describeSettled(settled)}`);
  return settled.error as Error;
}

/** The value a settled promise resolved with; throws a readable failure otherwise. */
export function valueOf<T>(settled: Settled<T>): T {
  if (settled.state !== 'resolved') throw new Error(`expected the promise to resolve, but it ${describeSettled(settled)}`);
  return settled.value;
}

/** Pauses every client of the Redis at `url` for `ms` (`CLIENT PAUSE ms ALL`), from a throwaway connection. */
export async function pauseClients(url: string, ms: number): Promise<void> {
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await probe.client('PAUSE', ms, 'ALL');
  } finally {
    probe.disconnect();
  }
}

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** Captures what Nest's `Logger` is asked to print (printing nothing), as text with a timestamp; `restore()` ends it. */
export class LogCapture {
  readonly entries: { level: LogLevel; at: number; text: string }[] = [];
  private readonly spies: Array<{ mockRestore(): void }> = [];

  constructor() {
    for (const level of LOG_LEVELS) {
      this.spies.push(
        jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
          const text = args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg))).join(' ');
          this.entries.push({ level, at: Date.now(), text });
        }),
      );
    }
  }

  /** Texts logged at `level` (at every level when omitted). */
  texts(level?: LogLevel): string[] {
    return this.entries.filter((entry) => level === undefined || entry.level === level).map((entry) => entry.text);
  }

  restore(): void {
    for (const spy of this.spies.splice(0)) spy.mockRestore();
  }
}

/** Starts capturing what Nest's `Logger` prints (see `LogCapture`); call `restore()` in a `finally`. */
export function captureLogs(): LogCapture {
  return new LogCapture();
}

/** How one call of a `CallTraffic` ended. */
export type CallOutcome = 'ok' | 'wrong' | 'timeout' | 'transport' | 'rpc' | 'other';

/** Classifies a call's error by the transport's error classes. */
export function outcomeOf(error: unknown): CallOutcome {
  if (error instanceof ClamatorTimeoutError) return 'timeout';
  if (error instanceof ClamatorTransportError) return 'transport';
  if (error instanceof ClamatorRpcError) return 'rpc';
  return 'other';
}

/**
 * Calls in `lanes` loops, one after the other in each, until `stop()`: `call(n)` resolves true for a
 * right answer. The outcomes are counted; a failed call pauses its lane for 50 ms.
 */
export class CallTraffic {
  readonly outcomes = new Map<CallOutcome, number>();
  private running = true;
  private readonly lanes: Promise<void>[];

  constructor(call: (n: number) => Promise<boolean>, lanes: number) {
    this.lanes = Array.from({ length: lanes }, async (_, lane) => {
      for (let n = lane * 1_000_000; this.running; n += 1) {
        const outcome = await call(n).then((right): CallOutcome => (right ? 'ok' : 'wrong'), outcomeOf);
        this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
        if (outcome !== 'ok') await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  }

  count(outcome: CallOutcome): number {
    return this.outcomes.get(outcome) ?? 0;
  }

  /** Starts no more calls; resolves once the calls in flight ended. */
  stop(): Promise<void> {
    this.running = false;
    return Promise.all(this.lanes).then(() => undefined);
  }
}

/**
 * Client process of one bench scenario, started by bench/run.ts. argv[2] is a JSON `ClientConfig`.
 * On `calls` it runs a closed loop keeping N calls in flight and measures them; on `emit` it keeps
 * N notifications in flight for a while and reports how many it sent.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ClamatorClient } from '../lib/index.js';
import { cpuMicros, memorySample, serveParent, wallClockMs, type EmitResult, type LoopResult } from './ipc.js';
import { loadedNestVersion } from './nest-version.js';
import { RawClient } from './raw.js';
import { quantile } from './stats.js';

/** What the parent asks a client process to drive. */
export interface ClientConfig {
  readonly kind: 'clamator' | 'nest-redis' | 'raw';
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly telemetry?: boolean;
  /**
   * How a clamator client calls: `send` (the default) is what Nest users write,
   * `firstValueFrom(client.send(pattern, data))` and `client.emit(pattern, data)`; `call` uses the
   * promise API, `client.call(service, method, params)` and `client.notify(...)`.
   */
  readonly api?: 'send' | 'call';
  /** A Redis Cluster's startup nodes (clamator only): `redisUrl` is not used then. */
  readonly clusterNodes?: Array<{ host: string; port: number }>;
  /** Services whose `add` the calls go to, round robin (clamator only), instead of `arith`. */
  readonly services?: string[];
}

/** Arguments of the `calls` command. */
export interface CallsArgs {
  readonly inflight: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** How long to wait after the window for calls still in flight. */
  readonly drainMs: number;
}

/** Arguments of the `emit` command. */
export interface EmitArgs {
  readonly inflight: number;
  readonly durationMs: number;
}

const config = JSON.parse(process.argv[2]) as ClientConfig;
Logger.overrideLogger(['error', 'warn']);

type Add = (a: number, b: number) => Promise<number>;
type Emit = () => Promise<unknown>;
let add: Add;
let emit: Emit | undefined;
let close: () => Promise<void>;

if (config.kind === 'clamator') {
  const client = new ClamatorClient({
    keyPrefix: config.keyPrefix,
    ...(config.clusterNodes ? { cluster: { nodes: config.clusterNodes } } : { redisUrl: config.redisUrl }),
    telemetry: config.telemetry,
  });
  await client.connect();
  const services = config.services ?? ['arith'];
  if (config.api === 'call' || config.services) {
    add = (a, b) => client.call<number>(services[a % services.length], 'add', { a, b });
    emit = () => client.notify('arith', 'added', { a: 1, b: 2 });
  } else {
    // Exactly what the Nest Redis client below runs.
    add = (a, b) => firstValueFrom(client.send<number>('arith.add', { a, b }));
    emit = () => lastValueFrom(client.emit('arith.added', { a: 1, b: 2 }), { defaultValue: undefined });
  }
  close = () => client.close();
} else if (config.kind === 'nest-redis') {
  const { hostname, port } = new URL(config.redisUrl);
  const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.REDIS, options: { host: hostname, port: Number(port) } });
  await client.connect();
  add = (a, b) => firstValueFrom(client.send<number>('arith.add', { a, b }));
  emit = () => lastValueFrom(client.emit('arith.added', { a: 1, b: 2 }), { defaultValue: undefined });
  close = () => client.close() as Promise<void>;
} else {
  const client = new RawClient({ redisUrl: config.redisUrl, keyPrefix: config.keyPrefix, service: 'arith' });
  client.start();
  add = (a, b) => client.add(a, b);
  close = () => client.stop();
}

/** Keeps `inflight` calls going until the window ends; counts completions and latencies inside the window only. */
async function closedLoop({ inflight, warmupMs, durationMs, drainMs }: CallsArgs): Promise<LoopResult> {
  const cpuAtStart = cpuMicros();
  const startAt = performance.now();
  const windowStart = startAt + warmupMs;
  const windowEnd = windowStart + durationMs;
  const latencies: number[] = [];
  let completed = 0;
  let totalCompleted = 0;
  let errors = 0;
  let running = 0;
  let firstError: string | undefined;
  let sequence = 0;

  const worker = async (): Promise<void> => {
    running += 1;
    try {
      for (;;) {
        const t0 = performance.now();
        if (t0 >= windowEnd) return;
        const a = sequence++;
        try {
          const sum = await add(a, 1);
          if (sum !== a + 1) throw new Error(`wrong sum ${sum} for ${a} + 1`);
        } catch (error) {
          errors += 1;
          firstError ??= (error as Error).message;
        }
        const t1 = performance.now();
        totalCompleted += 1;
        if (t0 >= windowStart) latencies.push(t1 - t0);
        if (t1 >= windowStart && t1 < windowEnd) completed += 1;
      }
    } finally {
      running -= 1;
    }
  };

  const workers = Array.from({ length: inflight }, () => worker());
  const drainDeadline = new Promise<void>((resolve) => setTimeout(resolve, warmupMs + durationMs + drainMs).unref());
  await Promise.race([Promise.all(workers), drainDeadline]);
  return {
    completed,
    windowMs: durationMs,
    callsPerSec: (completed * 1000) / durationMs,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    samples: latencies.length,
    errors,
    stuck: running,
    firstError,
    totalCompleted,
    cpuUs: cpuMicros() - cpuAtStart,
  };
}

/** Keeps `inflight` emits going for `durationMs`; reports how many were accepted. */
async function emitBurst({ inflight, durationMs }: EmitArgs): Promise<EmitResult> {
  if (!emit) throw new Error(`${config.kind} has no emit`);
  const send = emit;
  const startedAt = wallClockMs();
  const endAt = performance.now() + durationMs;
  let emitted = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      try {
        await send();
        emitted += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, () => worker()));
  return { emitted, errors, startedAt, finishedAt: wallClockMs() };
}

serveParent(
  {
    calls: (args) => closedLoop(args as CallsArgs),
    emit: (args) => emitBurst(args as EmitArgs),
    memory: () => memorySample(),
    stop: async () => {
      await close();
      setImmediate(() => process.exit(0));
    },
  },
  loadedNestVersion(),
);

/**
 * `npm run bench`: throughput and latency of nestjs-clamator against Nest's built-in Redis
 * transport and a hand-written raw floor on the same wire, all on one throwaway redis-server.
 * See bench/README.md.
 */
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, spawnRedis } from '../test/utils/redis-process.mjs';
import type { ClientConfig } from './client.js';
import { ChildChannel, type EmitResult, type EventCount, type LoopResult, type MemorySample } from './ipc.js';
import { parseOptions, USAGE, type BenchOptions, type ScenarioName } from './options.js';
import {
  checkTargets,
  formatCalls,
  formatEmits,
  formatMemory,
  formatTargets,
  summarizeCalls,
  summarizeEmits,
  formatCpu,
  type CallRound,
  type EmitRound,
  type MemoryRow,
} from './report.js';
import type { ServerConfig } from './server.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = resolve(benchDir, 'results');

interface Scenario {
  readonly name: ScenarioName;
  readonly kind: ServerConfig['kind'];
  readonly concurrency?: number;
  readonly emits: boolean;
  /** `telemetry` of a clamator server and client; undefined keeps the library default (on). */
  readonly telemetry?: boolean;
  /** How a clamator client calls: Nest's `send()`/`emit()` (the default) or its own `call()`/`notify()`. */
  readonly api?: ClientConfig['api'];
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'clamator-c1', kind: 'clamator', concurrency: 1, emits: true },
  { name: 'clamator-c16', kind: 'clamator', concurrency: 16, emits: true },
  { name: 'clamator-c1-call', kind: 'clamator', concurrency: 1, emits: true, api: 'call' },
  { name: 'clamator-c16-call', kind: 'clamator', concurrency: 16, emits: true, api: 'call' },
  { name: 'nest-redis', kind: 'nest-redis', emits: true },
  { name: 'raw', kind: 'raw', emits: false },
  { name: 'clamator-c1-notel', kind: 'clamator', concurrency: 1, emits: true, telemetry: false },
];

interface Running {
  readonly scenario: Scenario;
  readonly keyPrefix: string;
  readonly server: ChildChannel;
  readonly client: ChildChannel;
}

/** Node flags for a child: the parent's loader flags, the Nest 11 redirect, and profiling when asked. */
function childExecArgv(options: BenchOptions, label: string): string[] {
  const argv = process.execArgv.filter((flag) => !flag.startsWith('--cpu-prof'));
  if (options.nest === 11) argv.push('--import', resolve(benchDir, 'nest11/register.mjs'));
  // Node's default profile names carry pid and thread id: the loader's hooks thread writes a profile
  // too, and a fixed --cpu-prof-name would let it overwrite the main thread's. See nameProfiles().
  if (options.cpuProf) argv.push('--cpu-prof', `--cpu-prof-dir=${resultsDir}`);
  return argv;
}

/**
 * Renames the profiles the children wrote (`CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`) to
 * `<scenario>-<role>-<stamp>.cpuprofile` for the main thread and `...-thread<tid>.cpuprofile` for
 * others (the module loader's hooks thread). Returns the new names.
 */
function nameProfiles(children: readonly ChildChannel[]): string[] {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const byPid = new Map(children.map((child) => [child.child.pid, child.name]));
  const named: string[] = [];
  for (const file of readdirSync(resultsDir)) {
    const match = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
    const label = match ? byPid.get(Number(match[1])) : undefined;
    if (!match || !label) continue;
    const name = `${label}-${stamp}${match[2] === '0' ? '' : `-thread${match[2]}`}.cpuprofile`;
    renameSync(resolve(resultsDir, file), resolve(resultsDir, name));
    named.push(name);
  }
  return named.sort();
}

/** `items` starting at `offset` (modulo their count), the ones before it moved to the end. */
function rotated<T>(items: readonly T[], offset: number): T[] {
  const start = items.length === 0 ? 0 : offset % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

function startChild(options: BenchOptions, script: string, label: string, config: ServerConfig | ClientConfig): ChildChannel {
  const child = fork(resolve(benchDir, script), [JSON.stringify(config)], {
    execArgv: childExecArgv(options, label),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new ChildChannel(label, child);
}

/** What redis-server did so far: CPU time, commands by name, and socket reads it processed. */
interface RedisSnapshot {
  readonly cpuUs: number;
  readonly commands: Map<string, number>;
  readonly readsProcessed: number;
}

async function redisSnapshot(admin: Redis): Promise<RedisSnapshot> {
  const info = (await admin.call('INFO', 'cpu', 'commandstats', 'stats')) as string;
  const number = (name: string) => Number((new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info) ?? [])[1] ?? Number.NaN);
  const commands = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands.set(match[1], Number(match[2]));
  return {
    cpuUs: Math.round((number('used_cpu_user') + number('used_cpu_sys')) * 1e6),
    commands,
    readsProcessed: number('total_reads_processed'),
  };
}

/** Commands issued between two snapshots (the bench's own INFO left out). */
function commandsBetween(before: RedisSnapshot, after: RedisSnapshot): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [name, calls] of after.commands) {
    const delta = calls - (before.commands.get(name) ?? 0);
    if (delta > 0 && name !== 'info') diff[name] = delta;
  }
  return diff;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the server's event counter until it reached `expected` or `timeoutMs` passed. */
async function waitForEvents(server: ChildChannel, expected: number, timeoutMs: number): Promise<EventCount> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await server.request<EventCount>('events', { reset: false });
    if (count.handled >= expected || Date.now() > deadline) return count;
    await sleep(20);
  }
}

async function measureEmits(run: Running, options: BenchOptions): Promise<EmitRound> {
  const bound = 30_000 + options.seconds * 10_000;
  const inflight = options.emitInflight;
  await run.server.request('events', { reset: true });
  if (options.warmupSeconds > 0) {
    const warm = await run.client.request<EmitResult>('emit', { inflight, durationMs: options.warmupSeconds * 1000 });
    await waitForEvents(run.server, warm.emitted, bound);
  }
  await run.server.request('events', { reset: true });
  const burst = await run.client.request<EmitResult>('emit', { inflight, durationMs: options.seconds * 1000 });
  const count = await waitForEvents(run.server, burst.emitted, bound);
  const seconds = (count.lastHandledAt - burst.startedAt) / 1000;
  return {
    emitted: burst.emitted,
    handled: count.handled,
    seconds,
    emitsPerSec: count.handled > 0 && seconds > 0 ? count.handled / seconds : 0,
    complete: count.handled >= burst.emitted && burst.errors === 0,
  };
}

async function memoryOf(runs: readonly Running[]): Promise<Map<string, MemorySample>> {
  const samples = new Map<string, MemorySample>();
  for (const run of runs) {
    for (const channel of [run.server, run.client]) samples.set(channel.name, await channel.request<MemorySample>('memory'));
  }
  return samples;
}

async function main(options: BenchOptions): Promise<number> {
  const scenarios = SCENARIOS.filter((s) => options.only.includes(s.name));
  const emitScenarios = options.emit ? scenarios.filter((s) => s.emits) : [];
  const perMeasurement = options.warmupSeconds + options.seconds;
  const estimate =
    options.rounds * (options.inflight.length * scenarios.length * (perMeasurement + 0.3) + emitScenarios.length * (perMeasurement + 2)) +
    (options.warmupPass ? options.inflight.length * scenarios.length * 1.3 : 0);
  console.log(
    `nestjs-clamator bench: ${options.rounds} rounds x ${options.seconds} s (+${options.warmupSeconds} s warm-up), ` +
      `in flight ${options.inflight.join('/')}${options.readCount ? `, clamator readCount ${options.readCount}` : ''}, scenarios ${scenarios.map((s) => s.name).join(', ')}; about ${Math.ceil(estimate / 10) * 10} s`,
  );
  if (options.cpuProf) mkdirSync(resultsDir, { recursive: true });

  const children: ChildChannel[] = [];
  let redis: Awaited<ReturnType<typeof spawnRedis>> | undefined;
  let admin: Redis | undefined;
  const killAll = () => {
    for (const child of children) child.kill();
    redis?.child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the bench processes.`);
    killAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const port = await freePort();
    // No persistence (spawnRedis), and no output-buffer limit for pub/sub subscribers, so that a
    // Nest Redis server falling behind during the emit burst is not disconnected and loses nothing.
    redis = await spawnRedis(port, ['--client-output-buffer-limit', 'pubsub 0 0 0']);
    const redisUrl = `redis://127.0.0.1:${port}`;
    admin = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const redisVersion = ((await admin.info('server')).match(/redis_version:(\S+)/) ?? [])[1] ?? 'unknown';

    const runs: Running[] = [];
    for (const scenario of scenarios) {
      const keyPrefix = `bench-${scenario.name}-${process.pid}`;
      const server = startChild(options, 'server.ts', `${scenario.name}-server`, {
        kind: scenario.kind,
        redisUrl,
        keyPrefix,
        concurrency: scenario.concurrency,
        readCount: scenario.kind === 'clamator' ? options.readCount : undefined,
        telemetry: scenario.telemetry,
      });
      children.push(server);
      runs.push({ scenario, keyPrefix, server, client: undefined as unknown as ChildChannel });
    }
    const serverReady = await Promise.all(runs.map((run) => run.server.ready));
    for (let i = 0; i < runs.length; i += 1) {
      const run = runs[i];
      const client = startChild(options, 'client.ts', `${run.scenario.name}-client`, {
        kind: run.scenario.kind,
        redisUrl,
        keyPrefix: run.keyPrefix,
        telemetry: run.scenario.telemetry,
        api: run.scenario.api,
      });
      children.push(client);
      runs[i] = { ...run, client };
    }
    const clientReady = await Promise.all(runs.map((run) => run.client.ready));
    const nestVersions = new Set([...serverReady, ...clientReady].map((ready) => ready.nestVersion));
    console.log(`Nest: ${[...nestVersions].join('; ')} (--nest ${options.nest})`);
    console.log(`Node ${process.version}, redis-server ${redisVersion} on port ${port}`);

    const memoryBefore = await memoryOf(runs);
    const calls = new Map<string, CallRound[]>();
    const emits = new Map<ScenarioName, EmitRound[]>();

    // Every process has run each load once before anything is measured: the first round would
    // otherwise also measure the JIT compiling each process's code paths.
    if (options.warmupPass) {
      for (const inflight of options.inflight) {
        for (const run of runs) {
          await run.client.request<LoopResult>('calls', { inflight, warmupMs: 0, durationMs: 1000, drainMs: 10_000 });
        }
      }
      for (const run of runs) if (run.scenario.kind !== 'nest-redis') await admin.xtrim(`${run.keyPrefix}:cmds:arith`, 'MAXLEN', 0);
      console.log('warm-up pass done (1 s per scenario and load, not measured)');
    }
    const started = Date.now();

    for (let round = 1; round <= options.rounds; round += 1) {
      // Each round starts one scenario later: whichever runs first at a level, or right after
      // another, measures the machine settling from what came before, and no scenario should
      // always be the one that does.
      const order = rotated(runs, round - 1);
      for (const inflight of options.inflight) {
        for (const run of order) {
          // Keep Redis's memory comparable between measurements: every entry was acknowledged.
          if (run.scenario.kind !== 'nest-redis') await admin.xtrim(`${run.keyPrefix}:cmds:arith`, 'MAXLEN', 0);
          const serverCpu = await run.server.request<number>('cpu');
          const redisBefore = await redisSnapshot(admin);
          const loop = await run.client.request<LoopResult>('calls', {
            inflight,
            warmupMs: options.warmupSeconds * 1000,
            durationMs: options.seconds * 1000,
            drainMs: 10_000,
          });
          const serverCpuUs = (await run.server.request<number>('cpu')) - serverCpu;
          const redisAfter = await redisSnapshot(admin);
          const result: CallRound = {
            ...loop,
            serverCpuUs,
            redisCpuUs: redisAfter.cpuUs - redisBefore.cpuUs,
            redisCommands: commandsBetween(redisBefore, redisAfter),
            redisReads: redisAfter.readsProcessed - redisBefore.readsProcessed,
          };
          const key = `${run.scenario.name}@${inflight}`;
          calls.set(key, [...(calls.get(key) ?? []), result]);
          console.log(
            `round ${round}/${options.rounds}  ${run.scenario.name.padEnd(12)} ${String(inflight).padStart(4)} in flight: ` +
              `${result.callsPerSec.toFixed(0).padStart(6)} calls/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms` +
              (result.errors || result.stuck ? `  errors ${result.errors} stuck ${result.stuck} (${result.firstError ?? ''})` : ''),
          );
        }
      }
      for (const run of order.filter((r) => emitScenarios.includes(r.scenario))) {
        if (run.scenario.kind !== 'nest-redis') await admin.xtrim(`${run.keyPrefix}:cmds:arith`, 'MAXLEN', 0);
        const result = await measureEmits(run, options);
        emits.set(run.scenario.name, [...(emits.get(run.scenario.name) ?? []), result]);
        console.log(
          `round ${round}/${options.rounds}  ${run.scenario.name.padEnd(12)} emit: ${result.emitsPerSec.toFixed(0).padStart(6)} handled/s ` +
            `(${result.handled}/${result.emitted} in ${result.seconds.toFixed(2)} s)`,
        );
      }
    }
    const elapsed = (Date.now() - started) / 1000;
    const memoryAfter = await memoryOf(runs);

    const callRows = summarizeCalls(calls, scenarios.map((s) => s.name), options.inflight);
    const emitRows = summarizeEmits(emits);
    const targets = checkTargets(callRows, emitRows);
    const memory: MemoryRow[] = [...memoryBefore].map(([name, before]) => ({ process: name, before, after: memoryAfter.get(name) }));

    console.log(
      `\nCalls (median of ${options.rounds} rounds; a = clamator, b = Nest Redis, c = raw floor; ratios are medians of the ratios within each round), measured in ${elapsed.toFixed(0)} s:`,
    );
    console.log(formatCalls(callRows));
    console.log(
      '\nPer call, over the whole measurement incl. warm-up (median of rounds): CPU time in microseconds of each process, ' +
        'socket reads Redis processed, and the Redis commands issued:',
    );
    console.log(formatCpu(callRows));
    if (emitRows.length > 0) {
      console.log(`\nOne-way notifications (emit, ${options.emitInflight} in flight), handled by the server per second:`);
      console.log(formatEmits(emitRows));
    }
    console.log('\nMemory of the bench processes (MB):');
    console.log(formatMemory(memory));
    console.log('\nTargets:');
    console.log(formatTargets(targets));

    if (options.json) {
      const file = resolve(options.json);
      mkdirSync(dirname(file), { recursive: true });
      const report = {
        meta: {
          date: new Date().toISOString(),
          nest: [...nestVersions],
          nestMajor: options.nest,
          node: process.version,
          redis: redisVersion,
          rounds: options.rounds,
          seconds: options.seconds,
          warmupSeconds: options.warmupSeconds,
          warmupPass: options.warmupPass,
          ratios: 'median over rounds of the ratio within each round',
          inflight: options.inflight,
          emitInflight: options.emitInflight,
          clamatorReadCount: options.readCount ?? 'default',
        },
        calls: callRows,
        emits: emitRows,
        memory,
        targets,
      };
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`\nWrote ${file}`);
    }

    await Promise.all(children.map((child) => child.stop()));
    if (options.cpuProf) {
      const profiles = nameProfiles(children).filter((name) => !name.includes('-thread'));
      console.log(`\nCPU profiles (main threads) in ${resultsDir}; summarize with bench/profile-summary.ts:`);
      for (const name of profiles) console.log(`  ${name}`);
    }
    return 0;
  } finally {
    await admin?.quit().catch(() => admin?.disconnect());
    killAll();
    if (redis) await redis.exited;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (options === 'help') {
  console.log(USAGE);
} else {
  main(options).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

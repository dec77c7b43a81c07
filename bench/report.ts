/** Summaries, targets and the printed tables of the bench. */
import type { LoopResult, MemorySample } from './ipc.js';
import type { ScenarioName } from './options.js';
import { median } from './stats.js';

/** One calls measurement: the client's loop result plus the CPU the server and Redis used meanwhile. */
export interface CallRound extends LoopResult {
  /** CPU time of the server process during the measurement, in microseconds. */
  readonly serverCpuUs: number;
  /** CPU time of redis-server during the measurement, in microseconds. */
  readonly redisCpuUs: number;
  /** Redis commands issued during the measurement, by name (INFO commandstats). */
  readonly redisCommands: Record<string, number>;
  /** Socket reads Redis processed during the measurement (INFO stats total_reads_processed). */
  readonly redisReads: number;
}

/** CPU time per completed call, in microseconds. */
export interface CpuPerCall {
  readonly client: number;
  readonly server: number;
  readonly redis: number;
  readonly total: number;
  /** Socket reads Redis processed per call. */
  readonly redisReads: number;
  /** Redis commands per call, by name. */
  readonly commands: Record<string, number>;
}

/** One emit measurement. */
export interface EmitRound {
  readonly emitted: number;
  readonly handled: number;
  /** Seconds from the first emit to the last notification handled by the server. */
  readonly seconds: number;
  readonly emitsPerSec: number;
  readonly complete: boolean;
}

/** Medians over the rounds of one scenario at one in-flight level. */
export interface CallSummary {
  readonly scenario: ScenarioName;
  readonly inflight: number;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly stuck: number;
  /** calls/s divided by Nest Redis's at the same in-flight level in the same round, median over the rounds (clamator rows only). */
  readonly vsNest?: number;
  /** calls/s divided by the raw floor's at the same in-flight level in the same round, median over the rounds (clamator rows only). */
  readonly vsRaw?: number;
  /** calls/s of a `send()` row divided by its `call()` twin's at the same in-flight level in the same round, median over the rounds. */
  readonly vsCall?: number;
  /** Medians over the rounds of the CPU each process spent per call. */
  readonly cpuPerCallUs: CpuPerCall;
  readonly rounds: readonly CallRound[];
}

/** Medians over the rounds of one scenario's emit measurement. */
export interface EmitSummary {
  readonly scenario: ScenarioName;
  readonly emitsPerSec: number;
  readonly vsNest?: number;
  readonly allHandled: boolean;
  readonly rounds: readonly EmitRound[];
}

/** One target and whether it was met. */
export interface TargetCheck {
  readonly target: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

/** Memory of one process before and after the measurements. */
export interface MemoryRow {
  readonly process: string;
  readonly before: MemorySample;
  readonly after: MemorySample | undefined;
}

const CLAMATOR: readonly ScenarioName[] = ['clamator-c1', 'clamator-c16', 'clamator-c1-call', 'clamator-c16-call', 'clamator-c1-notel'];
/** The scenarios calling through Nest's `send()`/`emit()`, each with its twin calling `call()`/`notify()`. */
const SEND_TWINS: ReadonlyMap<ScenarioName, ScenarioName> = new Map<ScenarioName, ScenarioName>([
  ['clamator-c1', 'clamator-c1-call'],
  ['clamator-c16', 'clamator-c16-call'],
]);
/** What `send()` aims for against Nest Redis's `send()`, by calls in flight. */
const SEND_TARGETS: ReadonlyMap<number, number> = new Map([
  [1, 1.1],
  [16, 1.2],
  [256, 1.5],
]);
/** `emit()` against Nest Redis's `emit()`. */
const SEND_EMIT_TARGET = 1.5;
/** `send()` calls/s at least this share of `call()`'s. */
const SEND_VS_CALL_TARGET = 0.95;

function cpuPerCall(rounds: readonly CallRound[]): CpuPerCall {
  const per = (pick: (r: CallRound) => number) => median(rounds.map((r) => (r.totalCompleted > 0 ? pick(r) / r.totalCompleted : Number.NaN)));
  return {
    client: per((r) => r.cpuUs),
    server: per((r) => r.serverCpuUs),
    redis: per((r) => r.redisCpuUs),
    total: per((r) => r.cpuUs + r.serverCpuUs + r.redisCpuUs),
    redisReads: per((r) => r.redisReads),
    commands: Object.fromEntries(
      [...new Set(rounds.flatMap((r) => Object.keys(r.redisCommands)))].map((name) => [name, per((r) => r.redisCommands[name] ?? 0)]),
    ),
  };
}

/** Medians per scenario and in-flight level, with the ratios of the clamator rows. */
export function summarizeCalls(results: Map<string, CallRound[]>, scenarios: readonly ScenarioName[], inflights: readonly number[]): CallSummary[] {
  const base = new Map<string, readonly CallRound[]>();
  const rows: CallSummary[] = [];
  for (const inflight of inflights) {
    for (const scenario of scenarios) {
      const rounds = results.get(`${scenario}@${inflight}`) ?? [];
      if (rounds.length === 0) continue;
      const callsPerSec = median(rounds.map((r) => r.callsPerSec));
      base.set(`${scenario}@${inflight}`, rounds);
      rows.push({
        scenario,
        inflight,
        callsPerSec,
        p50Ms: median(rounds.map((r) => r.p50Ms)),
        p99Ms: median(rounds.map((r) => r.p99Ms)),
        errors: rounds.reduce((sum, r) => sum + r.errors, 0),
        stuck: rounds.reduce((sum, r) => sum + r.stuck, 0),
        cpuPerCallUs: cpuPerCall(rounds),
        rounds,
      });
    }
  }
  return rows.map((row) => {
    if (!CLAMATOR.includes(row.scenario)) return row;
    const nest = base.get(`nest-redis@${row.inflight}`);
    const raw = base.get(`raw@${row.inflight}`);
    const twin = SEND_TWINS.get(row.scenario);
    const call = twin ? base.get(`${twin}@${row.inflight}`) : undefined;
    return {
      ...row,
      vsNest: pairedRatio(row.rounds, nest, (r) => r.callsPerSec),
      vsRaw: pairedRatio(row.rounds, raw, (r) => r.callsPerSec),
      vsCall: pairedRatio(row.rounds, call, (r) => r.callsPerSec),
    };
  });
}

/** Medians of the emit measurements, with the ratio to Nest Redis. */
export function summarizeEmits(results: Map<ScenarioName, EmitRound[]>): EmitSummary[] {
  const rows: EmitSummary[] = [];
  for (const [scenario, rounds] of results) {
    rows.push({ scenario, emitsPerSec: median(rounds.map((r) => r.emitsPerSec)), allHandled: rounds.every((r) => r.complete), rounds });
  }
  const nest = rows.find((row) => row.scenario === 'nest-redis')?.rounds;
  return rows.map((row) => (CLAMATOR.includes(row.scenario) && nest ? { ...row, vsNest: pairedRatio(row.rounds, nest, (r) => r.emitsPerSec) } : row));
}

/**
 * The median over rounds of a/b measured in the same round: a scenario and its baseline ran one
 * after the other there, so that the machine's drift between rounds (on these shared VMs, a factor
 * of two within minutes) cancels out of each ratio rather than adding to it.
 */
function pairedRatio<R>(a: readonly R[], b: readonly R[] | undefined, value: (round: R) => number): number | undefined {
  const rounds = Math.min(a.length, b?.length ?? 0);
  if (b === undefined || rounds === 0) return undefined;
  return median(Array.from({ length: rounds }, (_, i) => value(a[i]) / value(b[i])));
}

function ratio(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)}x`;
}

/** The targets the transport aims for, checked against the medians. */
export function checkTargets(calls: readonly CallSummary[], emits: readonly EmitSummary[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (scenario: ScenarioName, inflight: number) => calls.find((row) => row.scenario === scenario && row.inflight === inflight);
  // Only the clamator scenarios of this run (clamator-c1-notel runs on request).
  const clamator = CLAMATOR.filter((scenario) => calls.some((row) => row.scenario === scenario));
  const atLeast = (target: string, value: number | undefined, floor: number) =>
    checks.push({ target, value: ratio(value, 3), met: value === undefined ? undefined : value >= floor });
  for (const scenario of clamator) {
    for (const inflight of [1, 16, 256]) {
      const floor = SEND_TWINS.has(scenario) ? (SEND_TARGETS.get(inflight) ?? 1) : 1;
      atLeast(`${scenario} calls/s >= ${floor.toFixed(1)}x nest-redis at ${inflight} in flight`, find(scenario, inflight)?.vsNest, floor);
    }
  }
  for (const scenario of clamator.filter((name) => SEND_TWINS.has(name))) {
    for (const inflight of [1, 16, 256]) {
      atLeast(`${scenario} (send) calls/s >= ${SEND_VS_CALL_TARGET}x ${SEND_TWINS.get(scenario)} at ${inflight} in flight`, find(scenario, inflight)?.vsCall, SEND_VS_CALL_TARGET);
    }
  }
  for (const scenario of clamator) {
    for (const inflight of [16, 256]) atLeast(`${scenario} calls/s >= 0.8x raw floor at ${inflight} in flight`, find(scenario, inflight)?.vsRaw, 0.8);
  }
  const nest256 = find('nest-redis', 256);
  for (const scenario of clamator) {
    const row = find(scenario, 256);
    checks.push({
      target: `${scenario} p99 at 256 in flight <= nest-redis's`,
      value: row && nest256 ? `${row.p99Ms.toFixed(2)} ms vs ${nest256.p99Ms.toFixed(2)} ms` : '-',
      met: row && nest256 ? row.p99Ms <= nest256.p99Ms : undefined,
    });
  }
  for (const scenario of clamator) {
    const floor = SEND_TWINS.has(scenario) ? SEND_EMIT_TARGET : 1;
    atLeast(`${scenario} emit/s >= ${floor.toFixed(1)}x nest-redis`, emits.find((e) => e.scenario === scenario)?.vsNest, floor);
  }
  return checks;
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** The calls table: scenario, in-flight, calls/s, p50, p99, a/b, a/c. */
export function formatCalls(rows: readonly CallSummary[]): string {
  return table(
    ['scenario', 'in-flight', 'calls/s', 'p50 ms', 'p99 ms', 'a/b (vs nest)', 'a/c (vs raw)', 'send/call', 'errors'],
    rows.map((row) => [
      row.scenario,
      String(row.inflight),
      fixed(row.callsPerSec, 0),
      fixed(row.p50Ms, 2),
      fixed(row.p99Ms, 2),
      CLAMATOR.includes(row.scenario) ? ratio(row.vsNest) : '',
      CLAMATOR.includes(row.scenario) ? ratio(row.vsRaw) : '',
      ratio(row.vsCall).replace(/^-$/, ''),
      row.errors + row.stuck === 0 ? '0' : `${row.errors} (+${row.stuck} stuck)`,
    ]),
    [false, true, true, true, true, true, true, true, true],
  );
}

/** CPU per call of client, server and Redis: where the machine's time goes. */
export function formatCpu(rows: readonly CallSummary[]): string {
  return table(
    ['scenario', 'in-flight', 'client us', 'server us', 'redis us', 'total us', 'redis reads', 'redis commands'],
    rows.map((row) => [
      row.scenario,
      String(row.inflight),
      fixed(row.cpuPerCallUs.client, 1),
      fixed(row.cpuPerCallUs.server, 1),
      fixed(row.cpuPerCallUs.redis, 1),
      fixed(row.cpuPerCallUs.total, 1),
      fixed(row.cpuPerCallUs.redisReads, 2),
      Object.entries(row.cpuPerCallUs.commands)
        .filter(([, perCall]) => perCall >= 0.005)
        .sort((x, y) => y[1] - x[1])
        .map(([name, perCall]) => `${name} ${perCall.toFixed(2)}`)
        .join(', '),
    ]),
    [false, true, true, true, true, true, true, false],
  );
}

/** The emit table: scenario, emit/s, a/b. */
export function formatEmits(rows: readonly EmitSummary[]): string {
  return table(
    ['scenario', 'emit/s', 'a/b (vs nest)', 'all handled'],
    rows.map((row) => [row.scenario, fixed(row.emitsPerSec, 0), CLAMATOR.includes(row.scenario) ? ratio(row.vsNest) : '', row.allHandled ? 'yes' : 'NO']),
    [false, true, true, false],
  );
}

/** The targets, each with its value and MET / NOT MET. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  return table(
    ['target', 'value', 'status'],
    checks.map((check) => [check.target, check.value, check.met === undefined ? 'n/a' : check.met ? 'met' : 'NOT MET']),
    [false, true, false],
  );
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : (bytes / 1024 / 1024).toFixed(1);
}

/** RSS and heap of every child process before and after the measurements, in MB. */
export function formatMemory(rows: readonly MemoryRow[]): string {
  return table(
    ['process', 'rss before', 'rss after', 'heap before', 'heap after'],
    rows.map((row) => [row.process, mb(row.before.rss), mb(row.after?.rss), mb(row.before.heapUsed), mb(row.after?.heapUsed)]),
    [false, true, true, true, true],
  );
}

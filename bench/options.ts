/** Command-line options of `npm run bench -- [options]`. */

/** The scenarios the bench knows, in the order they run within a round. */
export const SCENARIO_NAMES = ['clamator-c1', 'clamator-c16', 'clamator-c1-call', 'clamator-c16-call', 'nest-redis', 'raw', 'clamator-c1-notel'] as const;
/** What runs without --only: all but clamator-c1-notel (clamator-c1 with `telemetry: false`, to measure what telemetry costs). */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['clamator-c1', 'clamator-c16', 'clamator-c1-call', 'clamator-c16-call', 'nest-redis', 'raw'];
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Parsed options. */
export interface BenchOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Run every scenario at every load once, unmeasured, before the first round. */
  readonly warmupPass: boolean;
  readonly inflight: number[];
  readonly emitInflight: number;
  readonly emit: boolean;
  readonly only: ScenarioName[];
  readonly nest: 11 | 12;
  readonly json: string | undefined;
  readonly cpuProf: boolean;
  /** `readCount` of the ClamatorServer scenarios; undefined keeps the library default. */
  readonly readCount: number | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]
  --rounds <n>          interleaved rounds (default 5)
  --seconds <s>         length of one measurement (default 3)
  --warmup <s>          warm-up before each measurement (default 0.5)
  --no-warmup-pass      skip the unmeasured pass (1 s per scenario and load) before the first round
  --inflight <list>     calls in flight, comma separated (default 1,16,256)
  --emit-inflight <n>   notifications in flight during the emit measurement (default 256)
  --no-emit             skip the emit measurement
  --only <list>         run only these scenarios: ${SCENARIO_NAMES.join(', ')}
  --nest <11|12>        Nest major to run against (default 12, from node_modules; 11 uses compat/nest11)
  --json <file>         also write the results as JSON
  --read-count <n>      readCount of the clamator servers (default: the library's default)
  --cpu-prof            profile the client and server processes into bench/results/*.cpuprofile
  --help                this text`;

function positiveNumber(flag: string, raw: string | undefined): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number, got ${raw}`);
  return value;
}

function positiveInteger(flag: string, raw: string | undefined): number {
  const value = positiveNumber(flag, raw);
  if (!Number.isInteger(value)) throw new Error(`${flag} needs an integer, got ${raw}`);
  return value;
}

/** Parses `argv` (without node and the script); throws with a readable message on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  let rounds = 5;
  let seconds = 3;
  let warmupSeconds = 0.5;
  let warmupPass = true;
  let inflight = [1, 16, 256];
  let emitInflight = 256;
  let emit = true;
  let only: ScenarioName[] = [...DEFAULT_SCENARIOS];
  let nest: 11 | 12 = 12;
  let json: string | undefined;
  let cpuProf = false;
  let readCount: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds':
        rounds = positiveInteger(flag, value());
        break;
      case '--seconds':
        seconds = positiveNumber(flag, value());
        break;
      case '--warmup': {
        const raw = value();
        warmupSeconds = Number(raw);
        if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) throw new Error(`--warmup needs a number >= 0, got ${raw}`);
        break;
      }
      case '--inflight':
        inflight = (value() ?? '').split(',').map((part) => positiveInteger(flag, part.trim()));
        break;
      case '--emit-inflight':
        emitInflight = positiveInteger(flag, value());
        break;
      case '--no-emit':
        emit = false;
        break;
      case '--only': {
        const names = (value() ?? '').split(',').map((part) => part.trim());
        for (const name of names) {
          if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
            throw new Error(`--only: unknown scenario ${name} (known: ${SCENARIO_NAMES.join(', ')})`);
          }
        }
        only = SCENARIO_NAMES.filter((name) => names.includes(name));
        break;
      }
      case '--nest': {
        const raw = value();
        if (raw !== '11' && raw !== '12') throw new Error(`--nest takes 11 or 12, got ${raw}`);
        nest = raw === '11' ? 11 : 12;
        break;
      }
      case '--json':
        json = value();
        if (!json) throw new Error('--json needs a file name');
        break;
      case '--read-count':
        readCount = positiveInteger(flag, value());
        break;
      case '--no-warmup-pass':
        warmupPass = false;
        break;
      case '--cpu-prof':
        cpuProf = true;
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return { rounds, seconds, warmupSeconds, warmupPass, inflight, emitInflight, emit, only, nest, json, cpuProf, readCount };
}

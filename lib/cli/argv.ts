import { nearestName } from '../options/nearest-name.js';
import { SERVICE_NAME_PATTERN } from '../protocol/names.js';
import { DEFAULTS } from '../protocol/constants.js';
import { FLAG_DEFAULTS } from './usage.js';

/** A wrong command line; the message names the flag or argument and what is wrong with it. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** What every command takes. */
interface CommonArguments {
  readonly redisUrl: string;
  /** Startup nodes of a Redis Cluster (`--cluster`); `redisUrl` is not used then. */
  readonly clusterNodes?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly keyPrefix: string;
  /** One JSON document on stdout instead of tables. */
  readonly json: boolean;
  /** Bound on connecting to Redis and on each command. */
  readonly timeoutMs: number;
}

/** A parsed command line of a command that works on Redis: the command and its arguments. */
export type RedisCommandArguments = CommonArguments &
  (
    | { readonly command: 'inspect' }
    | { readonly command: 'dead-letters'; readonly service: string; readonly count: number }
    /** `ids` undefined: replay every dead letter. */
    | { readonly command: 'replay'; readonly service: string; readonly ids: readonly string[] | undefined }
    | { readonly command: 'cleanup'; readonly idleMs: number; readonly dryRun: boolean }
  );

/** `codegen`: generates Python and JSON Schema from contract modules; no Redis involved. */
export interface CodegenArguments {
  readonly command: 'codegen';
  readonly json: boolean;
  /** A contract module, or a folder searched for them. */
  readonly contracts: string;
  /** Where `<service>.py` files go; undefined: no Python. */
  readonly outPy: string | undefined;
  /** Where `<service>.<method>.<params|result>.schema.json` files go; undefined: no JSON Schema. */
  readonly outJsonSchema: string | undefined;
}

/** A parsed command line: the command and its arguments. */
export type CliArguments = RedisCommandArguments | CodegenArguments;

/** The command names. */
export type CliCommandName = CliArguments['command'];

/** `--help` (or the `help` command) was asked for, or a command to run. */
export type ParsedCommandLine = { readonly help: true } | { readonly help: false; readonly args: CliArguments };

interface FlagSpec {
  /** Shown in "needs a value" messages; absent for a flag that takes none. */
  readonly value?: string;
  readonly repeatable?: boolean;
  /** The commands it applies to; absent: every command. */
  readonly commands?: readonly CliCommandName[];
}

const REDIS_COMMANDS: readonly CliCommandName[] = ['inspect', 'dead-letters', 'replay', 'cleanup'];

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--redis-url': { value: 'URL', commands: REDIS_COMMANDS },
  '--cluster': { value: 'HOST:PORT[,HOST:PORT...]', commands: REDIS_COMMANDS },
  '--key-prefix': { value: 'PREFIX', commands: REDIS_COMMANDS },
  '--json': {},
  '--timeout-ms': { value: 'MS', commands: REDIS_COMMANDS },
  '--count': { value: 'N', commands: ['dead-letters'] },
  '--id': { value: 'ID', repeatable: true, commands: ['replay'] },
  '--idle-ms': { value: 'MS', commands: ['cleanup'] },
  '--dry-run': { commands: ['cleanup'] },
  '--contracts': { value: 'PATH', commands: ['codegen'] },
  '--out-py': { value: 'DIR', commands: ['codegen'] },
  '--out-json-schema': { value: 'DIR', commands: ['codegen'] },
};

const COMMANDS: Readonly<Record<CliCommandName, { readonly takesService: boolean }>> = {
  inspect: { takesService: false },
  'dead-letters': { takesService: true },
  replay: { takesService: true },
  cleanup: { takesService: false },
  codegen: { takesService: false },
};

const HELP_FLAGS = new Set(['--help', '-h']);
const STREAM_ID = /^\d+-\d+$/;
const REDIS_URL = /^(rediss?|unix):\/\//;

function didYouMean(name: string, candidates: Iterable<string>): string {
  const nearest = nearestName(name, candidates);
  return nearest === undefined ? '' : ` (did you mean ${nearest}?)`;
}

function isCommand(name: string): name is CliCommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** A whole number of at least `min`, written in decimal digits only (`1e3`, `0x10`, `12ms` are refused). */
function integerFlag(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new CliUsageError(`${flag} must be a whole number >= ${min}, got "${text}"`);
  }
  return value;
}

/** Flags in the order given, with their values (an empty string for a flag that takes none), and the other words. */
function tokenize(argv: readonly string[]): { flags: Map<string, string[]>; words: string[] } {
  const flags = new Map<string, string[]>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i];
    if (token === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      words.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const flag = equals < 0 ? token : token.slice(0, equals);
    const spec = FLAGS[flag];
    if (!Object.hasOwn(FLAGS, flag) || spec === undefined) throw new CliUsageError(`unknown flag ${flag}${didYouMean(flag, Object.keys(FLAGS))}`);
    let value = '';
    if (spec.value === undefined) {
      if (equals >= 0) throw new CliUsageError(`${flag} takes no value`);
    } else if (equals >= 0) {
      value = token.slice(equals + 1);
    } else {
      // A flag right after means the value was left out; a value that starts with "--" goes as --flag=value.
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new CliUsageError(`${flag} needs a value (${flag} ${spec.value})`);
      value = next;
      i += 1;
    }
    if (spec.value !== undefined && value === '') throw new CliUsageError(`${flag} needs a value (${flag} ${spec.value})`);
    const seen = flags.get(flag);
    if (seen && !spec.repeatable) throw new CliUsageError(`${flag} is given more than once`);
    flags.set(flag, [...(seen ?? []), value]);
  }
  return { flags, words };
}

/** `--cluster host:port,host:port`: the startup nodes of a Redis Cluster. */
function clusterNodesOf(flags: Map<string, string[]>): CommonArguments['clusterNodes'] {
  const given = flags.get('--cluster')?.[0];
  if (given === undefined) return undefined;
  if (flags.has('--redis-url')) throw new CliUsageError('--cluster and --redis-url exclude each other (give one)');
  return given.split(',').map((node) => {
    const match = /^([^:\s]+):(\d{1,5})$/.exec(node.trim());
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65_535) throw new CliUsageError(`--cluster must be HOST:PORT[,HOST:PORT...], got "${given}"`);
    return { host: match[1], port };
  });
}

function redisUrlOf(flags: Map<string, string[]>, env: NodeJS.ProcessEnv): string {
  const given = flags.get('--redis-url')?.[0];
  const [url, source] = given !== undefined ? [given, '--redis-url'] : env.REDIS_URL ? [env.REDIS_URL, '$REDIS_URL'] : [DEFAULTS.redisUrl, 'the default'];
  if (!REDIS_URL.test(url)) throw new CliUsageError(`${source} must be a redis://, rediss:// or unix:// URL, got "${url}"`);
  return url;
}

function codegenArguments(flags: Map<string, string[]>): CodegenArguments {
  const contracts = flags.get('--contracts')?.[0];
  if (contracts === undefined) throw new CliUsageError('codegen needs --contracts (a contract module or a folder of them)');
  const outPy = flags.get('--out-py')?.[0];
  const outJsonSchema = flags.get('--out-json-schema')?.[0];
  if (outPy === undefined && outJsonSchema === undefined) throw new CliUsageError('codegen needs --out-py DIR, --out-json-schema DIR or both');
  return { command: 'codegen', json: flags.has('--json'), contracts, outPy, outJsonSchema };
}

/**
 * Reads the command line (`process.argv.slice(2)`). Flags may come before or after the command,
 * as `--flag value` or `--flag=value`. Throws `CliUsageError` for an unknown command or flag, a flag
 * the command does not take, a missing or invalid value, a missing or extra argument.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedCommandLine {
  if (argv.some((token) => HELP_FLAGS.has(token))) return { help: true };
  const { flags, words } = tokenize(argv);
  const [name, ...rest] = words;
  if (name === undefined) throw new CliUsageError('no command given');
  if (name === 'help') return { help: true };
  if (!isCommand(name)) throw new CliUsageError(`unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}`);
  for (const flag of flags.keys()) {
    const applies = FLAGS[flag].commands;
    if (applies && !applies.includes(name)) throw new CliUsageError(`${flag} does not apply to ${name} (only to ${applies.join(', ')})`);
  }

  let service = '';
  if (COMMANDS[name].takesService) {
    const given = rest.shift();
    if (given === undefined) throw new CliUsageError(`${name} needs a SERVICE (${name} SERVICE)`);
    if (!SERVICE_NAME_PATTERN.test(given)) throw new CliUsageError(`SERVICE "${given}" is not a service name (${SERVICE_NAME_PATTERN})`);
    service = given;
  }
  if (rest.length > 0) throw new CliUsageError(`unexpected argument "${rest[0]}"`);
  if (name === 'codegen') return { help: false, args: codegenArguments(flags) };

  const keyPrefix = flags.get('--key-prefix')?.[0];
  if (keyPrefix === undefined) throw new CliUsageError('--key-prefix is required (the keyPrefix the services use, e.g. --key-prefix myapp)');
  const clusterNodes = clusterNodesOf(flags);
  const common: CommonArguments = {
    // With --cluster, $REDIS_URL is not read (it may point at one of the nodes, or be unset).
    redisUrl: clusterNodes ? DEFAULTS.redisUrl : redisUrlOf(flags, env),
    ...(clusterNodes ? { clusterNodes } : {}),
    keyPrefix,
    json: flags.has('--json'),
    timeoutMs: integerFlag('--timeout-ms', flags.get('--timeout-ms')?.[0], FLAG_DEFAULTS.timeoutMs, 1),
  };

  switch (name) {
    case 'inspect':
      return { help: false, args: { ...common, command: name } };
    case 'dead-letters':
      return { help: false, args: { ...common, command: name, service, count: integerFlag('--count', flags.get('--count')?.[0], FLAG_DEFAULTS.count, 1) } };
    case 'replay': {
      const ids = flags.get('--id');
      const bad = ids?.find((id) => !STREAM_ID.test(id));
      if (bad !== undefined) throw new CliUsageError(`--id must be a stream entry id (<ms>-<seq>, as dead-letters lists them), got "${bad}"`);
      return { help: false, args: { ...common, command: name, service, ids } };
    }
    case 'cleanup':
      return {
        help: false,
        args: { ...common, command: name, idleMs: integerFlag('--idle-ms', flags.get('--idle-ms')?.[0], FLAG_DEFAULTS.idleMs, 0), dryRun: flags.has('--dry-run') },
      };
  }
}

import { type CliArguments, CliUsageError, parseCommandLine, type RedisCommandArguments } from '../../../lib/cli/argv.js';

const PREFIX = ['--key-prefix', 'myapp'];

function parseAny(argv: string[], env: NodeJS.ProcessEnv = {}): CliArguments {
  const parsed = parseCommandLine(argv, env);
  if (parsed.help) throw new Error('help was parsed');
  return parsed.args;
}

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): RedisCommandArguments {
  const args = parseAny(argv, env);
  if (args.command === 'codegen') throw new Error('codegen was parsed');
  return args;
}

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

describe('parseCommandLine', () => {
  it('reads --cluster as startup nodes, without reading $REDIS_URL, and refuses it beside --redis-url or malformed', () => {
    expect(parse(['inspect', ...PREFIX, '--cluster', '10.0.0.1:7000,redis-2:7001'], { REDIS_URL: 'not a url' })).toMatchObject({
      clusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-2', port: 7001 }],
    });
    expect(usageError(['inspect', ...PREFIX, '--cluster', 'a:1', '--redis-url', 'redis://b:2'])).toBe('--cluster and --redis-url exclude each other (give one)');
    for (const bad of ['a', 'a:', 'a:0', 'a:70000', 'a:1,,b:2']) {
      expect(usageError(['inspect', ...PREFIX, '--cluster', bad])).toBe(`--cluster must be HOST:PORT[,HOST:PORT...], got "${bad}"`);
    }
  });

  it('reads a command with its defaults', () => {
    expect(parse(['inspect', ...PREFIX])).toEqual({
      command: 'inspect',
      keyPrefix: 'myapp',
      redisUrl: 'redis://localhost:6379',
      json: false,
      timeoutMs: 5000,
    });
    expect(parse(['dead-letters', 'orders', ...PREFIX])).toMatchObject({ command: 'dead-letters', service: 'orders', count: 50 });
    expect(parse(['replay', 'orders', ...PREFIX])).toMatchObject({ command: 'replay', service: 'orders', ids: undefined });
    expect(parse(['cleanup', ...PREFIX])).toMatchObject({ command: 'cleanup', idleMs: 3_600_000, dryRun: false });
  });

  it('takes flags before or after the command, as --flag value or --flag=value', () => {
    expect(parse(['--json', '--key-prefix=a:b', 'dead-letters', '--count', '7', 'orders', '--timeout-ms=250'])).toEqual({
      command: 'dead-letters',
      service: 'orders',
      count: 7,
      keyPrefix: 'a:b',
      redisUrl: 'redis://localhost:6379',
      json: true,
      timeoutMs: 250,
    });
    expect(parse(['cleanup', ...PREFIX, '--idle-ms', '0', '--dry-run'])).toMatchObject({ idleMs: 0, dryRun: true });
  });

  it('takes --id once per dead letter', () => {
    expect(parse(['replay', 'orders', ...PREFIX, '--id', '1-0', '--id=2-5', '--id', '1-0'])).toMatchObject({ ids: ['1-0', '2-5', '1-0'] });
  });

  it('reads --redis-url, else $REDIS_URL, else the default', () => {
    expect(parse(['inspect', ...PREFIX, '--redis-url', 'rediss://h:1'], { REDIS_URL: 'redis://env:2' }).redisUrl).toBe('rediss://h:1');
    expect(parse(['inspect', ...PREFIX], { REDIS_URL: 'redis://env:2' }).redisUrl).toBe('redis://env:2');
    expect(parse(['inspect', ...PREFIX], { REDIS_URL: '' }).redisUrl).toBe('redis://localhost:6379');
  });

  it('reads codegen without Redis flags: --contracts and at least one output folder', () => {
    expect(parseAny(['codegen', '--contracts', 'src/contracts', '--out-py', 'py/gen'])).toEqual({
      command: 'codegen',
      json: false,
      contracts: 'src/contracts',
      outPy: 'py/gen',
      outJsonSchema: undefined,
    });
    expect(parseAny(['codegen', '--contracts=a.ts', '--out-json-schema', 'schemas', '--json'])).toMatchObject({ outPy: undefined, outJsonSchema: 'schemas', json: true });
  });

  it('keeps a value that starts with a dash when given with =', () => {
    expect(parse(['inspect', '--key-prefix=--odd']).keyPrefix).toBe('--odd');
  });

  it('reads --help, -h and help as a request for help, whatever else is there', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: true });
    expect(parseCommandLine(['inspect', '-h', '--bogus'])).toEqual({ help: true });
    expect(parseCommandLine(['help'])).toEqual({ help: true });
  });

  it.each([
    [[], 'no command given'],
    [['inspectt', ...PREFIX], 'unknown command "inspectt" (did you mean inspect?)'],
    [['inspect', ...PREFIX, '--jsonn'], 'unknown flag --jsonn (did you mean --json?)'],
    [['inspect', ...PREFIX, '-x'], 'unknown flag -x'],
    [['inspect'], '--key-prefix is required'],
    [['inspect', '--key-prefix'], '--key-prefix needs a value (--key-prefix PREFIX)'],
    [['inspect', '--key-prefix', '--json'], '--key-prefix needs a value'],
    [['inspect', '--key-prefix='], '--key-prefix needs a value'],
    [['inspect', ...PREFIX, '--json=yes'], '--json takes no value'],
    [['inspect', ...PREFIX, ...PREFIX], '--key-prefix is given more than once'],
    [['inspect', ...PREFIX, '--count', '3'], '--count does not apply to inspect (only to dead-letters)'],
    [['cleanup', ...PREFIX, '--id', '1-0'], '--id does not apply to cleanup (only to replay)'],
    [['inspect', ...PREFIX, 'orders'], 'unexpected argument "orders"'],
    [['dead-letters', ...PREFIX], 'dead-letters needs a SERVICE (dead-letters SERVICE)'],
    [['replay', 'Orders', ...PREFIX], 'SERVICE "Orders" is not a service name'],
    [['replay', 'orders', 'more', ...PREFIX], 'unexpected argument "more"'],
    [['dead-letters', 'orders', ...PREFIX, '--count', '0'], '--count must be a whole number >= 1, got "0"'],
    [['dead-letters', 'orders', ...PREFIX, '--count', '-5'], '--count must be a whole number >= 1, got "-5"'],
    [['dead-letters', 'orders', ...PREFIX, '--count', '1e3'], '--count must be a whole number >= 1, got "1e3"'],
    [['cleanup', ...PREFIX, '--idle-ms', '10s'], '--idle-ms must be a whole number >= 0, got "10s"'],
    [['inspect', ...PREFIX, '--timeout-ms', '0'], '--timeout-ms must be a whole number >= 1, got "0"'],
    [['replay', 'orders', ...PREFIX, '--id', '12'], '--id must be a stream entry id (<ms>-<seq>, as dead-letters lists them), got "12"'],
    [['codegen', '--out-py', 'py'], 'codegen needs --contracts (a contract module or a folder of them)'],
    [['codegen', '--contracts', 'c.ts'], 'codegen needs --out-py DIR, --out-json-schema DIR or both'],
    [['codegen', '--contracts', 'c.ts', '--out-py', 'py', ...PREFIX], '--key-prefix does not apply to codegen (only to inspect, dead-letters, replay, cleanup)'],
    [['inspect', ...PREFIX, '--out-py', 'py'], '--out-py does not apply to inspect (only to codegen)'],
    [['inspect', ...PREFIX, '--redis-url', 'http://h'], '--redis-url must be a redis://, rediss:// or unix:// URL, got "http://h"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  it('names $REDIS_URL when the bad URL comes from there', () => {
    expect(usageError(['inspect', ...PREFIX], { REDIS_URL: 'localhost:6379' })).toBe('$REDIS_URL must be a redis://, rediss:// or unix:// URL, got "localhost:6379"');
  });
});

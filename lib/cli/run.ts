import { ClamatorOptionsError } from '../options/option-rules.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { type CliArguments, CliUsageError, parseCommandLine, type RedisCommandArguments } from './argv.js';
import { runCleanup } from './commands/cleanup.js';
import { runCodegen } from './commands/codegen.js';
import { runDeadLetters } from './commands/dead-letters.js';
import { runInspect } from './commands/inspect.js';
import { runReplay } from './commands/replay.js';
import { ExitCode } from './exit-codes.js';
import type { CliOutput } from './output.js';
import { PROGRAM, USAGE } from './usage.js';

function runCommand(streams: ClamatorStreamsService, args: RedisCommandArguments, output: CliOutput): Promise<ExitCode> {
  switch (args.command) {
    case 'inspect':
      return runInspect(streams, args, output);
    case 'dead-letters':
      return runDeadLetters(streams, args, output);
    case 'replay':
      return runReplay(streams, args, output);
    case 'cleanup':
      return runCleanup(streams, args, output);
  }
}

/**
 * The connection of one CLI run. It fails instead of waiting out an outage, unlike the transport's:
 * no reconnect (a refused connection ends the run at once), `timeoutMs` to connect and per
 * command (a frozen Redis never answers), no command retried on a new connection.
 */
function openStreams(args: RedisCommandArguments): ClamatorStreamsService {
  const redisOptions = {
    connectTimeout: args.timeoutMs,
    commandTimeout: args.timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  };
  if (args.clusterNodes) {
    return new ClamatorStreamsService({
      keyPrefix: args.keyPrefix,
      cluster: { nodes: [...args.clusterNodes], options: { clusterRetryStrategy: () => null, redisOptions } },
      connectionName: 'clamator-cli',
    });
  }
  return new ClamatorStreamsService({ keyPrefix: args.keyPrefix, redisUrl: args.redisUrl, connectionName: 'clamator-cli', redisOptions });
}

function usageError(output: CliOutput, message: string): ExitCode {
  output.error(`${PROGRAM}: ${message}\n\n${USAGE}`);
  return ExitCode.usage;
}

function failed(command: string, json: boolean, output: CliOutput, error: unknown): ExitCode {
  const message = error instanceof Error ? error.message : String(error);
  output.error(`${PROGRAM} ${command}: ${message}`);
  if (json) output.json({ error: { message } });
  return ExitCode.failure;
}

async function runWithoutRedis(command: string, json: boolean, output: CliOutput, run: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await run();
  } catch (error) {
    return failed(command, json, output, error);
  }
}

/**
 * Runs the CLI on `argv` (`process.argv.slice(2)`) and returns the exit code: 0 done, 1 failure
 * (Redis unreachable within `--timeout-ms`, a command failed, part of a replay not done), 2 usage.
 * Opens its own connection and closes it before returning, whatever happened, in bounded time.
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, output: CliOutput): Promise<ExitCode> {
  let args: CliArguments;
  try {
    const parsed = parseCommandLine(argv, env);
    if (parsed.help) {
      output.print(USAGE);
      return ExitCode.ok;
    }
    args = parsed.args;
  } catch (error) {
    if (error instanceof CliUsageError) return usageError(output, error.message);
    throw error;
  }

  if (args.command === 'codegen') return runWithoutRedis(args.command, args.json, output, () => runCodegen(args, output));

  let streams: ClamatorStreamsService;
  try {
    streams = openStreams(args);
  } catch (error) {
    if (error instanceof ClamatorOptionsError) return usageError(output, error.message);
    throw error;
  }
  try {
    await streams.whenReady({ timeoutMs: args.timeoutMs });
    return await runCommand(streams, args, output);
  } catch (error) {
    return failed(args.command, args.json, output, error);
  } finally {
    await streams.close();
  }
}

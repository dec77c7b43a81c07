#!/usr/bin/env node
/**
 * The `nestjs-clamator` command (package.json `bin`): the operations CLI. This file only wires the
 * process (arguments, environment, stdout and stderr, exit code) to `runCli`; it must load as an
 * ES module and as CommonJS alike (no top-level await, no import.meta), since both builds hold it.
 */
import { Logger } from '@nestjs/common';
import { CliOutput } from './output.js';
import { runCli } from './run.js';
import { ExitCode } from './exit-codes.js';

const output = new CliOutput();
// Whatever the streams layer logs goes to stderr: stdout holds the result only.
Logger.overrideLogger(output.nestLogger());
output.ignoreClosedReader();

runCli(process.argv.slice(2), process.env, output).then(
  (code) => {
    // Not process.exit(): the process ends by itself once the connection is closed, after stdout is flushed.
    process.exitCode = code;
  },
  (error: unknown) => {
    output.error(`nestjs-clamator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = ExitCode.failure;
  },
);

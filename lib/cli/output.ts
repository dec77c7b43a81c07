import type { LoggerService } from '@nestjs/common';

/** Where the CLI writes: a stream's `write` is all it needs (tests pass collectors). */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * The one place the CLI prints from. Results go to stdout (tables, or one JSON document with
 * `--json`); errors, usage and log lines go to stderr, so that stdout stays parseable.
 */
export class CliOutput {
  constructor(
    private readonly stdout: TextSink = process.stdout,
    private readonly stderr: TextSink = process.stderr,
  ) {}

  /**
   * Lets a reader stop early (`nestjs-clamator inspect | head`): a write to a closed pipe then
   * fails quietly instead of crashing the process with an EPIPE stack trace.
   */
  ignoreClosedReader(): void {
    const stream = this.stdout as Partial<NodeJS.EventEmitter>;
    stream.on?.('error', () => undefined);
  }

  /** A result for people: text on stdout, ending with a newline. */
  print(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A result for scripts: one JSON document on stdout. */
  json(document: unknown): void {
    this.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /** A message for the operator on stderr, ending with a newline. */
  error(text: string): void {
    this.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A Nest logger that writes to stderr. Nest's default logger prints warnings to stdout, which
   * would break the one JSON document `--json` promises there.
   */
  nestLogger(): LoggerService {
    const line = (level: string) => (message: unknown, ...rest: unknown[]) => {
      const context = typeof rest[rest.length - 1] === 'string' ? ` [${String(rest[rest.length - 1])}]` : '';
      this.error(`${level}${context} ${String(message)}`);
    };
    return { log: () => undefined, error: line('error'), warn: line('warn'), debug: () => undefined, verbose: () => undefined, fatal: line('fatal') };
  }
}

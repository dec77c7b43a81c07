import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from '../connections/redis-connections.js';

/** Arguments of one script run: the keys it touches (declared, as ACLs and Redis require) and its other arguments. */
export interface ScriptCall {
  /** How many leading `argv` items are key names (Redis's `numkeys`). */
  readonly keyCount: number;
  /** The key names, then the other arguments. */
  readonly argv: ReadonlyArray<string | number>;
}

/**
 * Most entries one script call writes: a script holds Redis for its whole run, so a huge batch
 * goes as several calls that other clients' commands can come in between.
 */
export const MAX_SCRIPT_BATCH = 512;

/** `items` cut into consecutive slices of at most `size` (the array itself when it fits). */
export function chunked<T>(items: T[], size: number): T[][] {
  if (items.length <= size) return [items];
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** True for the reply Redis gives when its script cache lacks the script (nothing ran). */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * True when Redis refuses to run scripts for this connection at all: the ACL user lacks
 * `+evalsha` / `+eval`, or the server has scripting disabled. Nothing ran; plain commands may still be allowed.
 */
export function isScriptRefusedError(error: unknown): boolean {
  return error instanceof Error && (error.message.startsWith('NOPERM') || error.message.startsWith('ERR unknown command'));
}

/** One write of a script that failed: the key (or entry position) and Redis's error message. */
export interface ScriptFailure {
  readonly at: string;
  readonly message: string;
}

/** Reads the flat failure list the batch scripts return (`[]` when everything went in). */
export function parseScriptFailures(reply: unknown): ScriptFailure[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const failures: ScriptFailure[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) failures.push({ at: String(reply[i]), message: String(reply[i + 1]) });
  return failures;
}

/**
 * A Lua script run by its SHA1 (`EVALSHA`), so that the body crosses the wire only when Redis has
 * not cached it yet: `load` puts it in the cache ahead of the first write (and again after every
 * reconnect), and a run that still finds it missing (`SCRIPT FLUSH`) sends it once with `EVAL`.
 */
export class RedisScript {
  /** SHA1 of the source, as Redis names cached scripts. */
  readonly sha: string;

  constructor(
    readonly source: string,
    /** A call that writes nothing: running it caches the script (EVAL caches what it runs; no `SCRIPT LOAD` permission needed). */
    private readonly idleCall: ScriptCall,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script; falls back to `EVAL` when Redis does not know it (`NOSCRIPT` means it did not
   * run), on `retryOn` (default: the same connection; another one when this one is about to block).
   */
  async run(connection: RedisConnection, call: ScriptCall, retryOn: RedisConnection = connection): Promise<unknown> {
    try {
      return await connection.evalsha(this.sha, call.keyCount, ...call.argv);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return this.runBody(retryOn, call);
    }
  }

  /** Runs the script by sending its body (`EVAL`), which also puts it back in Redis's cache. */
  runBody(connection: RedisConnection, call: ScriptCall): Promise<unknown> {
    return connection.eval(this.source, call.keyCount, ...call.argv);
  }

  /** Puts the script in Redis's cache by running a call that writes nothing. */
  load(connection: RedisConnection): Promise<unknown> {
    return this.runBody(connection, this.idleCall);
  }

  /**
   * Queues an `EVALSHA` of the script in a pipeline; `done` hears its outcome as soon as Redis
   * answers it, not when the whole pipeline (which may end in a blocking read) is answered.
   * A `NOSCRIPT` outcome is the caller's to retry with `runBody`.
   */
  addTo(pipeline: ChainableCommander, call: ScriptCall, done: (error: Error | null | undefined, reply: unknown) => void): void {
    pipeline.evalsha(this.sha, call.keyCount, ...call.argv, done);
  }
}

/**
 * Whether the batch scripts may be used on one endpoint. Shared by its writers, so that the first
 * refusal (an ACL without `+evalsha`/`+eval`, scripting disabled) switches all of them to plain
 * commands for good, with one warning.
 */
export class ScriptSupport {
  private refused = false;

  constructor(private readonly warn: (message: string) => void) {}

  /** True until Redis refused to run scripts. */
  get enabled(): boolean {
    return !this.refused;
  }

  /** Records a refusal; warns the first time. */
  refuse(error: Error): void {
    if (this.refused) return;
    this.refused = true;
    this.warn(
      `Redis refused to run scripts (${error.message}); writing requests, notifications, replies and acknowledgements ` +
        'one command each. Grant +evalsha and +eval to batch them (README, "Security").',
    );
  }
}

import type { LoggerService } from '@nestjs/common';

/** How long repeats of one kind of log line are held back after a line was written, by default. */
export const DEFAULT_LOG_INTERVAL_MS = 10_000;

interface KeyState {
  /** When the last line of this key was written. */
  loggedAtMs: number;
  /** Occurrences held back since then. */
  suppressed: number;
}

/**
 * Log lines a peer can trigger at will (garbage in a reply stream, notifications nobody handles),
 * limited per kind so that a flood costs one line per interval instead of one per entry. The first
 * occurrence of a key is written at once; repeats within `intervalMs` are counted, not written; the
 * next occurrence after that writes its own line plus how many were held back.
 *
 * Keys are short category names from a fixed set (never text from the wire): the state of every
 * key seen is kept for the life of the instance.
 */
export class RateLimitedLog {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly logger: LoggerService,
    /** Repeats of a key within this long after its last written line are held back. Default: 10000. */
    private readonly intervalMs = DEFAULT_LOG_INTERVAL_MS,
    /** The clock, in milliseconds; tests pass a fake one. Default: `Date.now`. */
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** `logger.warn(message)`, unless a line of `key` was written less than `intervalMs` ago. */
  warn(key: string, message: string): void {
    const line = this.admit(key, message);
    if (line !== undefined) this.logger.warn(line);
  }

  /** `logger.error(message)`, unless a line of `key` was written less than `intervalMs` ago. */
  error(key: string, message: string): void {
    const line = this.admit(key, message);
    if (line !== undefined) this.logger.error(line);
  }

  /** The line to write for this occurrence, or `undefined` when it is held back. */
  private admit(key: string, message: string): string | undefined {
    const now = this.nowMs();
    const state = this.keys.get(key);
    if (state === undefined) {
      this.keys.set(key, { loggedAtMs: now, suppressed: 0 });
      return message;
    }
    const elapsedMs = now - state.loggedAtMs;
    if (elapsedMs < this.intervalMs) {
      state.suppressed += 1;
      return undefined;
    }
    const suppressed = state.suppressed;
    state.loggedAtMs = now;
    state.suppressed = 0;
    if (suppressed === 0) return message;
    return `${message} (and ${suppressed} more like it in the last ${Math.round(elapsedMs / 1000)} s)`;
  }
}

import { DEFAULTS } from '../protocol/constants.js';
import { type ClamatorConnectionOptions, type ResolvedConnectionOptions, resolveConnectionOptions } from '../options/connection.options.js';
import { OptionRules } from '../options/option-rules.js';

/** Options of `ClamatorServer`. */
export interface ClamatorServerOptions extends ClamatorConnectionOptions {
  /**
   * An entry pending longer than this on a consumer that is not handling it (a crashed server) is
   * taken over by another with XAUTOCLAIM and run again. Entries still being handled keep their
   * claim fresh, so a slow handler is never run twice. Default: 60000.
   */
  consumerClaimIdleMs?: number;
  /** Approximate cap on reply-stream length (`MAXLEN ~`). Default: 1024. */
  replyStreamMaxLen?: number;
  /** On close, how long handlers in flight may take to finish and reply before the connections close. Default: 5000. */
  shutdownGraceMs?: number;
  /**
   * Requests of one service handled at once by this server. 1 runs them one at a time in arrival
   * order (a request sees the effects of the one before it); N > 1 runs up to N at once, unordered. Default: 1.
   */
  concurrency?: number;
  /** Entries fetched per XREADGROUP. Default: 16. */
  readCount?: number;
  /** How long one XREADGROUP waits for entries. Default: 1000. */
  blockMs?: number;
}

/** Server options after defaults and validation. */
export interface ResolvedServerOptions extends ResolvedConnectionOptions {
  readonly consumerClaimIdleMs: number;
  readonly replyStreamMaxLen: number;
  readonly shutdownGraceMs: number;
  readonly concurrency: number;
  readonly readCount: number;
  readonly blockMs: number;
}

/** Merges server options with the defaults and validates them once; throws naming the invalid option. */
export function resolveServerOptions(options: ClamatorServerOptions): ResolvedServerOptions {
  const rules = new OptionRules('ClamatorServer');
  if (options === null || typeof options !== 'object') {
    rules.requiredString('keyPrefix', undefined);
  }
  const ms = 'milliseconds';
  return {
    ...resolveConnectionOptions(rules, options),
    consumerClaimIdleMs: rules.integer('consumerClaimIdleMs', options.consumerClaimIdleMs, DEFAULTS.consumerClaimIdleMs, 100, Number.MAX_SAFE_INTEGER, ms),
    replyStreamMaxLen: rules.integer('replyStreamMaxLen', options.replyStreamMaxLen, DEFAULTS.replyStreamMaxLen, 1),
    shutdownGraceMs: rules.integer('shutdownGraceMs', options.shutdownGraceMs, DEFAULTS.shutdownGraceMs, 0, Number.MAX_SAFE_INTEGER, ms),
    concurrency: rules.integer('concurrency', options.concurrency, DEFAULTS.concurrency, 1, 10_000),
    readCount: rules.integer('readCount', options.readCount, DEFAULTS.readCount, 1, 10_000),
    blockMs: rules.integer('blockMs', options.blockMs, DEFAULTS.blockMs, 1, 60_000, ms),
  };
}

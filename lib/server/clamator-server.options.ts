import { DEFAULTS } from '../protocol/constants.js';
import {
  CONNECTION_OPTION_NAMES,
  type ClamatorConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from '../options/connection.options.js';
import { OptionRules } from '../options/option-rules.js';

/** Options of `ClamatorServer`. */
export interface ClamatorServerOptions extends ClamatorConnectionOptions {
  /**
   * An entry pending longer than this on a consumer that is not handling it (a crashed server) is
   * taken over by another with XAUTOCLAIM and run again. Entries still being handled keep their
   * claim fresh, so a slow handler is never run twice. Default: 60000.
   */
  consumerClaimIdleMs?: number;
  /**
   * Approximate cap on reply-stream length (`MAXLEN ~`): a safety net only, since each client trims
   * what it has read. Keep it above the calls any one client has in flight. Default: 100000.
   */
  replyStreamMaxLen?: number;
  /** On close, how long handlers in flight may take to finish and reply before the connections close. Default: 5000. */
  shutdownGraceMs?: number;
  /**
   * Requests of one service handled at once by this server. 1 runs them one at a time in arrival
   * order (a request sees the effects of the one before it); N > 1 runs up to N at once, unordered. Default: 1.
   */
  concurrency?: number;
  /** Entries fetched per XREADGROUP; doubled up to 4x while reads come back full (a backlog). Default: 16. */
  readCount?: number;
  /** How long one XREADGROUP waits for entries. Default: 1000. */
  blockMs?: number;
  /**
   * An entry delivered more often than this (its handler crashed the process or outlived the claim
   * each time) is not run again: it is copied to `<keyPrefix>:dead:<service>`, acknowledged, and
   * its caller gets a -32603 reply with `data.reason`. Default: 10.
   */
  maxDeliveries?: number;
  /**
   * A handler running longer than this gets its caller a -32603 reply (`data.reason: 'handler timeout'`)
   * and its entry acknowledged; the handler itself is not cancelled. 0 turns the deadline off. Default: 0.
   */
  handlerTimeoutMs?: number;
  /** Envelopes larger than this many bytes are refused with -32600 without being parsed. Default: 1048576 (1 MiB). */
  maxEnvelopeBytes?: number;
  /**
   * A consumer of the group idle longer than this and owning no pending entry (a server that is gone)
   * is removed from the group. Default: 600000 (10 min).
   */
  deadConsumerIdleMs?: number;
  /** How often each service trims acknowledged entries and removes dead consumers. Default: 5000. */
  maintenanceIntervalMs?: number;
  /**
   * How long `listen()` waits for Redis to answer (it logs the first connection error at once and
   * keeps retrying) before failing with `ClamatorTransportError`, so that a supervisor can restart
   * the process. Default: 10000.
   */
  connectTimeoutMs?: number;
  /**
   * A subscription (`@EventPattern(..., { subscription })`) none of whose servers has been alive for
   * this long (they say so every second while they run) is stale: it no longer holds back the
   * trimming of the service's command stream (the notifications it has not read may then be trimmed
   * away), and a warning names it once. At least 5000. Default: 3600000 (1 h).
   */
  staleSubscriptionMs?: number;
  /**
   * OpenTelemetry traces and metrics of the handlers, when `@opentelemetry/api` is installed and an
   * SDK registered (README, "Observability"); `false` turns them off. Default: true.
   */
  telemetry?: boolean;
}

/** Every option of `ClamatorServerOptions`, for refusing unknown ones; the type checker fails when one is missing. */
export const SERVER_OPTION_NAMES = {
  ...CONNECTION_OPTION_NAMES,
  consumerClaimIdleMs: true,
  replyStreamMaxLen: true,
  shutdownGraceMs: true,
  concurrency: true,
  readCount: true,
  blockMs: true,
  maxDeliveries: true,
  handlerTimeoutMs: true,
  maxEnvelopeBytes: true,
  deadConsumerIdleMs: true,
  maintenanceIntervalMs: true,
  connectTimeoutMs: true,
  staleSubscriptionMs: true,
  telemetry: true,
} as const satisfies Record<keyof ClamatorServerOptions, true>;

/** Server options after defaults and validation. */
export interface ResolvedServerOptions extends ResolvedConnectionOptions {
  readonly consumerClaimIdleMs: number;
  readonly replyStreamMaxLen: number;
  readonly shutdownGraceMs: number;
  readonly concurrency: number;
  readonly readCount: number;
  readonly blockMs: number;
  readonly maxDeliveries: number;
  readonly handlerTimeoutMs: number;
  readonly maxEnvelopeBytes: number;
  readonly deadConsumerIdleMs: number;
  readonly maintenanceIntervalMs: number;
  readonly connectTimeoutMs: number;
  readonly staleSubscriptionMs: number;
  readonly telemetry: boolean;
}

/** Merges server options with the defaults and validates them once; throws naming the invalid option. */
export function resolveServerOptions(options: ClamatorServerOptions): ResolvedServerOptions {
  const rules = new OptionRules('ClamatorServer');
  if (options === null || typeof options !== 'object') {
    rules.requiredString('keyPrefix', undefined);
  }
  rules.onlyKnown(options, SERVER_OPTION_NAMES);
  const ms = 'milliseconds';
  const blockMs = rules.integer('blockMs', options.blockMs, DEFAULTS.blockMs, 1, 60_000, ms);
  return {
    ...resolveConnectionOptions(rules, options),
    consumerClaimIdleMs: rules.integer('consumerClaimIdleMs', options.consumerClaimIdleMs, DEFAULTS.consumerClaimIdleMs, 100, Number.MAX_SAFE_INTEGER, ms),
    replyStreamMaxLen: rules.integer('replyStreamMaxLen', options.replyStreamMaxLen, DEFAULTS.replyStreamMaxLen, 1),
    shutdownGraceMs: rules.integer('shutdownGraceMs', options.shutdownGraceMs, DEFAULTS.shutdownGraceMs, 0, Number.MAX_SAFE_INTEGER, ms),
    concurrency: rules.integer('concurrency', options.concurrency, DEFAULTS.concurrency, 1, 10_000),
    readCount: rules.integer('readCount', options.readCount, DEFAULTS.readCount, 1, 10_000),
    blockMs,
    maxDeliveries: rules.integer('maxDeliveries', options.maxDeliveries, DEFAULTS.maxDeliveries, 1, 1_000_000),
    handlerTimeoutMs: rules.integer('handlerTimeoutMs', options.handlerTimeoutMs, 0, 0, 2_147_483_647, ms),
    maxEnvelopeBytes: rules.integer('maxEnvelopeBytes', options.maxEnvelopeBytes, DEFAULTS.maxEnvelopeBytes, 64, 512 * 1024 * 1024),
    // A live consumer touches the group at least every blockMs; well above that means gone.
    deadConsumerIdleMs: rules.integer('deadConsumerIdleMs', options.deadConsumerIdleMs, DEFAULTS.deadConsumerIdleMs, Math.max(10 * blockMs, 1000), Number.MAX_SAFE_INTEGER, ms),
    maintenanceIntervalMs: rules.integer('maintenanceIntervalMs', options.maintenanceIntervalMs, DEFAULTS.maintenanceIntervalMs, 100, Number.MAX_SAFE_INTEGER, ms),
    connectTimeoutMs: rules.integer('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 1, 2_147_483_647, ms),
    // Several missed heartbeats (one a second) before a subscription counts as gone.
    staleSubscriptionMs: rules.integer('staleSubscriptionMs', options.staleSubscriptionMs, DEFAULTS.staleSubscriptionMs, 5000, Number.MAX_SAFE_INTEGER, ms),
    telemetry: rules.boolean('telemetry', options.telemetry, true),
  };
}

import type { ClamatorMetadata } from '../protocol/metadata.js';
import { DEFAULTS } from '../protocol/constants.js';
import {
  CONNECTION_OPTION_NAMES,
  type ClamatorConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from '../options/connection.options.js';
import { OptionRules } from '../options/option-rules.js';

/** Options of `ClamatorClient`. */
export interface ClamatorClientOptions extends ClamatorConnectionOptions {
  /** How long a call waits for its reply, in milliseconds, unless the call says otherwise. Default: 30000. */
  defaultTimeoutMs?: number;
  /** How long one XREAD of the reply stream waits. Default: 1000. */
  blockMs?: number;
  /** Replies fetched per XREAD. Default: 512. */
  replyReadCount?: number;
  /**
   * How long `connect()` (and so the first call) waits for Redis to answer before failing with
   * `ClamatorTransportError`; calls made meanwhile fail saying that nothing was sent. Default: 10000.
   */
  connectTimeoutMs?: number;
  /**
   * OpenTelemetry traces and metrics of calls and notifications, when `@opentelemetry/api` is
   * installed and an SDK registered (README, "Observability"); `false` turns them off. Default: true.
   */
  telemetry?: boolean;
}

/** Every option of `ClamatorClientOptions`, for refusing unknown ones; the type checker fails when one is missing. */
export const CLIENT_OPTION_NAMES = {
  ...CONNECTION_OPTION_NAMES,
  defaultTimeoutMs: true,
  blockMs: true,
  replyReadCount: true,
  connectTimeoutMs: true,
  telemetry: true,
} as const satisfies Record<keyof ClamatorClientOptions, true>;

/** Client options after defaults and validation. */
export interface ResolvedClientOptions extends ResolvedConnectionOptions {
  readonly defaultTimeoutMs: number;
  readonly blockMs: number;
  readonly replyReadCount: number;
  readonly connectTimeoutMs: number;
  readonly telemetry: boolean;
}

/** Largest timeout a timer can hold (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Merges client options with the defaults and validates them once; throws naming the invalid option. */
export function resolveClientOptions(options: ClamatorClientOptions): ResolvedClientOptions {
  const rules = new OptionRules('ClamatorClient');
  if (options === null || typeof options !== 'object') rules.requiredString('keyPrefix', undefined);
  rules.onlyKnown(options, CLIENT_OPTION_NAMES);
  return {
    ...resolveConnectionOptions(rules, options),
    defaultTimeoutMs: rules.integer('defaultTimeoutMs', options.defaultTimeoutMs, DEFAULTS.defaultTimeoutMs, 1, MAX_TIMEOUT_MS, 'milliseconds'),
    blockMs: rules.integer('blockMs', options.blockMs, DEFAULTS.blockMs, 1, 60_000, 'milliseconds'),
    replyReadCount: rules.integer('replyReadCount', options.replyReadCount, 512, 1, 100_000),
    connectTimeoutMs: rules.integer('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs, 1, MAX_TIMEOUT_MS, 'milliseconds'),
    telemetry: rules.boolean('telemetry', options.telemetry, true),
  };
}

/** Per-call options of `ClamatorClient.call`. */
export interface ClamatorCallOptions {
  /** How long to wait for the reply, in milliseconds. Default: the client's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Metadata for the handler (`ctx.getMetadata()`): string values, at most 8 KiB as JSON. Default: none. */
  metadata?: ClamatorMetadata;
}

/** Per-notification options of `ClamatorClient.notify`. */
export interface ClamatorNotifyOptions {
  /**
   * How long to wait for Redis to confirm that the notification is queued, in milliseconds (a
   * frozen or paused Redis confirms nothing). Default: the client's `defaultTimeoutMs`.
   */
  timeoutMs?: number;
  /** Metadata for the handler (`ctx.getMetadata()`): string values, at most 8 KiB as JSON. Default: none. */
  metadata?: ClamatorMetadata;
}

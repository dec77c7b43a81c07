/** Transport id that Nest uses to route `@MessagePattern` / `@EventPattern` handlers to this transport. */
export const CLAMATOR_TRANSPORT = Symbol.for('nestjs-clamator:transport');

/** The `jsonrpc` member every clamator envelope carries. */
export const JSONRPC_VERSION = '2.0';

/** Stream entry field names, as clamator peers write them. */
export const FIELD_TYPE = 'type';
/** Value of the `type` field. Readers tolerate its absence. */
export const TYPE_RPC = 'rpc';
/** Field that carries the JSON-RPC envelope. */
export const FIELD_ENVELOPE = 'envelope';
/** Field that names the reply stream of a request. Absent on notifications. */
export const FIELD_REPLY_TO = 'reply-to';
/**
 * Extra field (an extension the other peers ignore) that carries a request's or notification's
 * metadata: a JSON object of string values (auth context, tenant, correlation id, trace context).
 */
export const FIELD_METADATA = 'metadata';

/** Defaults shared with the existing clamator peers (PROTOCOL.md, "Defaults of the existing peers"). */
export const DEFAULTS = {
  redisUrl: 'redis://localhost:6379',
  consumerClaimIdleMs: 60_000,
  /** Larger than the peers' 1024: a cap that trims replies a busy caller has not read yet loses answers. */
  replyStreamMaxLen: 100_000,
  shutdownGraceMs: 5_000,
  concurrency: 1,
  readCount: 16,
  blockMs: 1_000,
  defaultTimeoutMs: 30_000,
  autoClaimCount: 32,
  maxDeliveries: 10,
  maxEnvelopeBytes: 1024 * 1024,
  deadConsumerIdleMs: 10 * 60_000,
  maintenanceIntervalMs: 5_000,
  connectTimeoutMs: 10_000,
  staleSubscriptionMs: 60 * 60_000,
  /** Reply streams expire this long after the last reply written to them (improvement 6). */
  replyStreamTtlMs: 10 * 60_000,
} as const;

/** Smallest interval between two reclaim passes (PROTOCOL.md: every max(1 s, idle / 4)). */
export const MIN_RECLAIM_INTERVAL_MS = 1_000;

import type { ClamatorStreamsOptions } from '../streams/clamator-streams.service.js';

/**
 * Every option of `ClamatorStreamsOptions`, for refusing unknown ones; the type checker fails when
 * one is missing. Kept apart from the interface so that the stream layer changes by one line.
 */
export const STREAMS_OPTION_NAMES = {
  keyPrefix: true,
  redis: true,
  redisUrl: true,
  redisOptions: true,
  cluster: true,
  replyStreamMaxLen: true,
  replyStreamTtlMs: true,
  connectionName: true,
} as const satisfies Record<keyof ClamatorStreamsOptions, true>;

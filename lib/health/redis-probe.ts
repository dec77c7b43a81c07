import { performance } from 'node:perf_hooks';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import type { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import type { GroupInfo } from '../streams/stream-replies.js';
import { roundMs } from './clamator-health.result.js';

/** What one bounded round of reads found. */
export interface ProbeOutcome {
  /** PING's round trip in milliseconds, when Redis answered it in time. */
  readonly pingMs: number | undefined;
  /** Why Redis itself counts as failed (no answer in time, PING refused), or `undefined`. */
  readonly redisFailure: string | undefined;
  /** The groups of each service asked about, or the error its read failed with; services not answered in time are absent. */
  readonly groups: ReadonlyMap<string, readonly GroupInfo[] | Error>;
}

/**
 * PINGs Redis on `redis` and reads the consumer groups of `services` (XINFO GROUPS, through the
 * stream layer), all at once and for at most `timeoutMs` together: a frozen or paused Redis keeps
 * its socket open and answers nothing, so only a bound tells it apart. Commands still unanswered
 * at the bound are left to the connection (they settle when Redis answers or the connection
 * closes) with their failures already handled: nothing is opened here, so nothing needs closing.
 */
export async function probeRedis(
  redis: RedisConnection, streams: ClamatorStreamsService, services: readonly string[], timeoutMs: number,
): Promise<ProbeOutcome> {
  const startedAt = performance.now();
  let pingMs: number | undefined;
  let pingError: Error | undefined;
  const groups = new Map<string, readonly GroupInfo[] | Error>();
  const ping = redis.ping().then(
    () => (pingMs = roundMs(performance.now() - startedAt)),
    (error: Error) => (pingError = error),
  );
  const reads = services.map((service) =>
    streams.groupStates(service).then(
      (states) => groups.set(service, states),
      (error: Error) => groups.set(service, error),
    ),
  );
  const inTime = await settlesWithin(Promise.all([ping, ...reads]), timeoutMs);
  let redisFailure: string | undefined;
  if (pingError) redisFailure = `PING failed: ${pingError.message}`;
  else if (!inTime) {
    // The connection's state tells a Redis that went away during the check from one that stopped answering.
    const state = redis.status === 'ready' ? '' : ` (connection is ${redis.status})`;
    redisFailure = pingMs === undefined ? `timeout after ${timeoutMs} ms${state}` : `XINFO GROUPS: timeout after ${timeoutMs} ms${state}`;
  }
  return { pingMs, redisFailure, groups };
}

import { ClamatorClient } from '../client/clamator-client.js';
import { ClamatorOptionsError, type KnownOptionNames, OptionRules } from '../options/option-rules.js';
import { ClamatorServer } from '../server/clamator-server.js';
import { ClamatorStreamsService } from '../streams/clamator-streams.service.js';

/**
 * What a health check looks at, each through its own command connection: a `ClamatorClient`, a
 * `ClamatorServer` (which adds the state of the consumer groups it reads) or a
 * `ClamatorStreamsService`.
 */
export type ClamatorHealthConnection = ClamatorClient | ClamatorServer | ClamatorStreamsService;

/** Which kind of connection a check looked at, as results name it. */
export type ClamatorHealthConnectionKind = 'client' | 'server' | 'streams';

/** Options of `ClamatorHealthIndicator.isHealthy`. */
export interface ClamatorHealthCheckOptions {
  /** The client, server or streams service to check. Required. */
  connection: ClamatorHealthConnection;
  /**
   * How long the whole check may take, in milliseconds: PING, and for a server the reads of its
   * consumer groups. A Redis that does not answer in time (frozen, paused, overloaded) is `down`.
   * Default: 1000.
   */
  timeoutMs?: number;
  /**
   * A server is `down` when a consumer group it reads has more pending entries (delivered, not yet
   * acknowledged) than this. Servers only. Default: none (not checked).
   */
  maxPending?: number;
  /**
   * A server is `down` when a consumer group it reads lags behind its stream by more entries (not
   * yet delivered to any of its consumers) than this. Redis 7.0 or later tells the lag; where Redis
   * cannot tell, the lag is unknown and never fails the check. Servers only. Default: none (not checked).
   */
  maxLag?: number;
}

/** Default of `ClamatorHealthCheckOptions.timeoutMs`. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;

const HEALTH_OPTION_NAMES = {
  connection: true,
  timeoutMs: true,
  maxPending: true,
  maxLag: true,
} as const satisfies Record<keyof ClamatorHealthCheckOptions, true>;

/** The connection to check, tagged with its kind. */
export type HealthTarget =
  | { readonly kind: 'client'; readonly client: ClamatorClient }
  | { readonly kind: 'server'; readonly server: ClamatorServer }
  | { readonly kind: 'streams'; readonly streams: ClamatorStreamsService };

/** Health check options after defaults and validation. */
export interface ResolvedHealthCheckOptions {
  readonly target: HealthTarget;
  readonly timeoutMs: number;
  readonly maxPending: number | undefined;
  readonly maxLag: number | undefined;
}

const OWNER = 'ClamatorHealthIndicator';

function targetOf(connection: unknown): HealthTarget {
  if (connection instanceof ClamatorServer) return { kind: 'server', server: connection };
  if (connection instanceof ClamatorClient) return { kind: 'client', client: connection };
  if (connection instanceof ClamatorStreamsService) return { kind: 'streams', streams: connection };
  throw new ClamatorOptionsError(OWNER, 'connection', 'must be a ClamatorClient, a ClamatorServer or a ClamatorStreamsService', connection);
}

/**
 * Validates the options of one check, defaults applied. Throws `ClamatorOptionsError` naming the
 * option: a mistake in the probe's code, which terminus then answers with 500 rather than a
 * misleading `down`. Thresholds given for anything but a server are refused, not ignored, so that
 * a probe does not believe it checks what it does not.
 */
export function resolveHealthCheckOptions(options: ClamatorHealthCheckOptions): ResolvedHealthCheckOptions {
  const rules = new OptionRules(OWNER);
  if (options === null || typeof options !== 'object') {
    throw new ClamatorOptionsError(OWNER, 'options', 'must be an object with a "connection"', options);
  }
  rules.onlyKnown(options, HEALTH_OPTION_NAMES satisfies KnownOptionNames);
  const target = targetOf(options.connection);
  const timeoutMs = rules.integer('timeoutMs', options.timeoutMs, DEFAULT_HEALTH_TIMEOUT_MS, 1, 2_147_483_647, 'milliseconds');
  const maxPending = options.maxPending === undefined ? undefined : rules.integer('maxPending', options.maxPending, 0, 0);
  const maxLag = options.maxLag === undefined ? undefined : rules.integer('maxLag', options.maxLag, 0, 0);
  if (target.kind !== 'server') {
    const threshold = maxPending !== undefined ? 'maxPending' : maxLag !== undefined ? 'maxLag' : undefined;
    if (threshold) {
      throw new ClamatorOptionsError(
        OWNER, threshold, '', undefined,
        `${OWNER}: option "${threshold}" applies to a ClamatorServer (the consumer groups it reads), not to a ${target.kind === 'client' ? 'ClamatorClient' : 'ClamatorStreamsService'}.`,
      );
    }
  }
  return { target, timeoutMs, maxPending, maxLag };
}

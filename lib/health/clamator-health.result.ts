import type { GroupInfo } from '../streams/stream-replies.js';
import type { ClamatorHealthConnectionKind } from './clamator-health.options.js';

/*
 * The results are typed here rather than with @nestjs/terminus's `HealthIndicatorResult`, so that
 * neither the code nor the type declarations of this package need terminus: it is an optional
 * peer. They have the same shape (`{ [key]: { status, ...details } }`), which terminus 11 and 12
 * both take as it is: a `down` result makes `HealthCheckService.check()` answer 503 with it under
 * `error` and `details`.
 */

/** `up`, or `down` with the reasons in `failures`. */
export type ClamatorHealthStatus = 'up' | 'down';

/** One consumer group of a server, as a check saw it. */
export type ClamatorGroupHealth = {
  /** The service whose command stream the group reads. */
  readonly service: string;
  /** The group: named after the service, or `subscription:<name>`. */
  readonly group: string;
  /** Entries delivered to the group's consumers and not yet acknowledged. */
  readonly pending: number;
  /** Entries of the stream not yet delivered to the group; `null` when Redis cannot tell (before 7.0, or after deletions). */
  readonly lag: number | null;
  /**
   * True when the group was not there (Redis restarted empty, or the stream was deleted): the
   * server creates it again on its next read, so this alone is not a failure.
   */
  readonly missing?: true;
};

/** What one check found: the value under the check's key. */
export type ClamatorHealthDetails = {
  readonly status: ClamatorHealthStatus;
  /** What was checked: a `client`, a `server` or a `streams` service. */
  readonly connection: ClamatorHealthConnectionKind;
  /**
   * True when the command connection is open and ready (ioredis `ready`) as the check ends. False
   * for an idle client (see `state`), and while Redis is down or the connection reconnects. A
   * frozen Redis keeps the connection ready: its `failures` then say that it did not answer.
   */
  readonly connected: boolean;
  /** The ioredis state of the command connection (`ready`, `reconnecting`, ...), or `idle` when there is none. */
  readonly state: string;
  /** Where the connection points, password shown as `***`; absent when there is no connection. */
  readonly endpoint?: string;
  /** How long Redis took to answer PING, in milliseconds; absent when it did not answer. */
  readonly pingMs?: number;
  /**
   * The consumer groups of a server, keyed by the service for its own group and by
   * `<service>/subscription:<name>` for a subscription's. Absent for clients and streams services.
   */
  readonly groups?: Readonly<Record<string, ClamatorGroupHealth>>;
  /**
   * What failed, when `down`: `redis` for the connection (`timeout after 1000 ms`,
   * `connection is reconnecting`...), `server` for a server that is not listening, and a group's
   * key for its thresholds (`orders: pending 1234 > maxPending 1000`).
   */
  readonly failures?: Readonly<Record<string, string>>;
  /** The failures in one line (`orders: pending 1234 > maxPending 1000`), or why an idle client was not checked. */
  readonly message?: string;
};

/**
 * The result of `ClamatorHealthIndicator.isHealthy(key, ...)`: `{ [key]: details }`, the shape of
 * terminus's `HealthIndicatorResult`.
 */
export type ClamatorHealthIndicatorResult<Key extends string = string> = { [K in Key]: ClamatorHealthDetails };

/** The thresholds a server's groups are held to. */
export interface GroupThresholds {
  readonly maxPending: number | undefined;
  readonly maxLag: number | undefined;
}

/** How results key a group: the service for its own group, `<service>/<group>` for a subscription's. */
export function groupLabel(service: string, group: string): string {
  return group === service ? service : `${service}/${group}`;
}

/**
 * What is wrong with a group, as a reader would say it (`pending 1234 > maxPending 1000, lag 7 >
 * maxLag 5`), or `undefined` when nothing is. An unknown lag is never a failure: Redis could not
 * tell, which says nothing about the server.
 */
export function groupFailure(health: ClamatorGroupHealth, { maxPending, maxLag }: GroupThresholds): string | undefined {
  const broken: string[] = [];
  if (maxPending !== undefined && health.pending > maxPending) broken.push(`pending ${health.pending} > maxPending ${maxPending}`);
  if (maxLag !== undefined && health.lag !== null && health.lag > maxLag) broken.push(`lag ${health.lag} > maxLag ${maxLag}`);
  return broken.length > 0 ? broken.join(', ') : undefined;
}

/**
 * The health of each served group from what XINFO GROUPS said of its service (a service missing
 * from `states` was not answered in time: the `redis` failure says so), with what fails the
 * thresholds added to `failures`. A group missing from its stream is reported, not failed: the
 * server creates it again on its next read (after Redis restarted empty, for instance).
 */
export function judgeGroups(
  served: ReadonlyArray<{ readonly service: string; readonly group: string }>,
  states: ReadonlyMap<string, readonly GroupInfo[] | Error>,
  thresholds: GroupThresholds,
  failures: Record<string, string>,
): Record<string, ClamatorGroupHealth> {
  const judged: Record<string, ClamatorGroupHealth> = {};
  for (const { service, group } of served) {
    const read = states.get(service);
    if (read === undefined) continue;
    if (read instanceof Error) {
      failures[service] = `XINFO GROUPS failed: ${read.message}`;
      continue;
    }
    const info = read.find(({ name }) => name === group);
    const health: ClamatorGroupHealth = info
      ? { service, group, pending: info.pending, lag: info.lag }
      : { service, group, pending: 0, lag: null, missing: true };
    const label = groupLabel(service, group);
    judged[label] = health;
    const failure = groupFailure(health, thresholds);
    if (failure) failures[label] = failure;
  }
  return judged;
}

/** The failures in one line: `redis: timeout after 1000 ms; orders: pending 3 > maxPending 2`. */
export function describeFailures(failures: Readonly<Record<string, string>>): string {
  return Object.entries(failures)
    .map(([what, why]) => `${what}: ${why}`)
    .join('; ');
}

/** Rounds a duration for display: a tenth of a millisecond is as precise as a PING deserves. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * The details of one check, `down` exactly when something failed; the failures come with their
 * one-line summary, so that a log line or a probe's output says what failed without the JSON.
 */
export function healthDetails(
  found: Omit<ClamatorHealthDetails, 'status' | 'failures' | 'message'>,
  failures: Readonly<Record<string, string>>,
  note?: string,
): ClamatorHealthDetails {
  if (Object.keys(failures).length === 0) return { status: 'up', ...found, ...(note === undefined ? {} : { message: note }) };
  return { status: 'down', ...found, failures, message: describeFailures(failures) };
}

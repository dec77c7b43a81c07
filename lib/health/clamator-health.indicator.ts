import { Injectable } from '@nestjs/common';
import type { RedisConnection } from '../streams/connections/redis-connections.js';
import type { ClamatorServer } from '../server/clamator-server.js';
import type { ClamatorStreamsService } from '../streams/clamator-streams.service.js';
import type { ClamatorStatus } from '../streams/connections/connection-status.js';
import { describeRedisEndpoint } from '../streams/connections/redis-readiness.js';
import {
  type ClamatorHealthCheckOptions,
  type ClamatorHealthConnectionKind,
  resolveHealthCheckOptions,
  type ResolvedHealthCheckOptions,
} from './clamator-health.options.js';
import { type ClamatorHealthDetails, type ClamatorHealthIndicatorResult, healthDetails, judgeGroups } from './clamator-health.result.js';
import { probeRedis } from './redis-probe.js';

/**
 * States of a connection that a streams service has just opened for the check (or that waits for
 * its first command, `lazyConnect`): PING is queued until Redis answers, within the check's bound.
 */
const OPENING_STATES: ReadonlySet<string> = new Set(['wait', 'connecting', 'connect']);

/** The last status a server reported: `undefined` before `listen()` got as far as serving. */
function lastStatus(server: ClamatorServer): ClamatorStatus | undefined {
  let last: ClamatorStatus | undefined;
  // Nest's status subject replays the latest value to a new subscriber at once.
  server.status.subscribe((status) => (last = status)).unsubscribe();
  return last;
}

/**
 * A health indicator for `@nestjs/terminus` (11 and 12): checks Redis through the command
 * connection of a `ClamatorClient`, `ClamatorServer` or `ClamatorStreamsService`, and for a server
 * the consumer groups it reads against `maxPending` and `maxLag`. Provide it next to
 * `TerminusModule` and use it in a `HealthCheckService.check()`:
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([
 *     () => this.clamator.isHealthy('orders', { connection: this.server, maxPending: 1000 }),
 *   ]);
 * }
 * ```
 *
 * A check opens no connection of its own, so that probes every few seconds cost Redis one PING
 * and leave nothing behind. It does not import terminus either: the package works without it.
 */
@Injectable()
export class ClamatorHealthIndicator {
  /**
   * Checks `options.connection` and returns `{ [key]: { status: 'up' | 'down', ...details } }`,
   * within `timeoutMs` (default 1000) whatever Redis does; `details.failures` names what failed.
   *
   * - Redis must answer PING within `timeoutMs` on the command connection; a connection that is
   *   not ready (Redis down, restarting) is `down` at once, its state as the reason.
   * - A server must be listening (not before `listen()` is done, nor after `close()`), and each
   *   consumer group it reads must be within `maxPending` and `maxLag` when they are given.
   * - A client that holds no connection (never used, or closed) is `up` with `connected: false`:
   *   it is idle, not broken, and connects on its next call. A check never connects it: a
   *   readiness probe that waited for a connection only traffic makes would keep traffic away forever.
   * - A streams service is checked through its command connection, opened on the first check if
   *   nothing opened it before and kept (it is the service's, closed when the service closes).
   *
   * Never rejects for what Redis does: only invalid options make it reject (`ClamatorOptionsError`).
   */
  async isHealthy<const Key extends string>(key: Key, options: ClamatorHealthCheckOptions): Promise<ClamatorHealthIndicatorResult<Key>> {
    const details = await this.check(resolveHealthCheckOptions(options));
    return { [key]: details } as ClamatorHealthIndicatorResult<Key>;
  }

  private async check(options: ResolvedHealthCheckOptions): Promise<ClamatorHealthDetails> {
    const { target } = options;
    switch (target.kind) {
      case 'client': {
        const redis = target.client.streams.openedConnection();
        if (!redis || redis.status === 'wait') {
          return healthDetails({ connection: 'client', connected: false, state: 'idle' }, {}, 'idle: holds no connection, connects on its next call');
        }
        return this.checkConnection('client', redis, target.client.streams, [], options, false);
      }
      case 'server': {
        const status = lastStatus(target.server);
        const redis = target.server.streams.openedConnection();
        if (status === undefined || status === 'disconnected' || !redis) {
          const state = redis ? redis.status : 'idle';
          const endpoint = redis ? { endpoint: describeRedisEndpoint(redis) } : {};
          return healthDetails(
            { connection: 'server', connected: state === 'ready', state, ...endpoint },
            { server: status === 'disconnected' ? 'closed' : 'not listening' },
          );
        }
        return this.checkConnection('server', redis, target.server.streams, target.server.servedGroups(), options, false);
      }
      case 'streams': {
        const opened = target.streams.openedConnection();
        // A streams service injected for health checks has no other user to open its connection.
        const redis = opened ?? target.streams.connection;
        return this.checkConnection('streams', redis, target.streams, [], options, opened === undefined || redis.status === 'wait');
      }
    }
  }

  /**
   * PINGs through `redis` (and reads the groups of `served`) within the bound; `down` at once when
   * the connection is not ready, unless it is just opening (`opening`), when PING waits for it.
   */
  private async checkConnection(
    connection: ClamatorHealthConnectionKind,
    redis: RedisConnection,
    streams: ClamatorStreamsService,
    served: ReadonlyArray<{ readonly service: string; readonly group: string }>,
    { timeoutMs, maxPending, maxLag }: ResolvedHealthCheckOptions,
    opening: boolean,
  ): Promise<ClamatorHealthDetails> {
    const endpoint = describeRedisEndpoint(redis);
    const groups = connection === 'server' ? { groups: {} } : {};
    if (redis.status !== 'ready' && !(opening && OPENING_STATES.has(redis.status))) {
      // Commands would wait in ioredis's offline queue for Redis to come back: say so now instead.
      return healthDetails({ connection, connected: false, state: redis.status, endpoint, ...groups }, { redis: `connection is ${redis.status}` });
    }
    const services = [...new Set(served.map(({ service }) => service))];
    const outcome = await probeRedis(redis, streams, services, timeoutMs);
    const failures: Record<string, string> = {};
    if (outcome.redisFailure) failures.redis = outcome.redisFailure;
    const judged = judgeGroups(served, outcome.groups, { maxPending, maxLag }, failures);
    const pingMs = outcome.pingMs === undefined ? {} : { pingMs: outcome.pingMs };
    return healthDetails(
      { connection, connected: redis.status === 'ready', state: redis.status, endpoint, ...pingMs, ...(connection === 'server' ? { groups: judged } : {}) },
      failures,
    );
  }
}

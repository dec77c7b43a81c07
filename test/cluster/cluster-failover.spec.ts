/**
 * A failover on a real Redis Cluster: the master holding a service's command stream is killed
 * (SIGKILL) mid-traffic; its replica is promoted (cluster-node-timeout 1500 ms) and calls resume
 * without restarting the server or the client. Calls in flight at the kill may time out (what the
 * dead master had not replicated is gone) or run twice (at-least-once); every answered call has
 * the right result, and once the cluster is healthy nothing is left pending.
 */
import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Cluster } from 'ioredis';
import { ClamatorClient } from '../../lib/index.js';
import { keySlot } from '../../lib/streams/cluster/key-slot.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { RedisClusterProcess } from '../utils/redis-cluster.js';
import { delay, waitFor } from '../utils/redis.js';
import { describeCluster, pendingOf } from './cluster-helpers.js';

const runs = new Map<string, number>();

function controllerFor(service: string): new () => unknown {
  @Controller()
  class ServiceController {
    @MessagePattern(`${service}.double`)
    double(@Payload() { id, n }: { id: string; n: number }) {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      return n * 2;
    }
  }
  return ServiceController;
}

/** What a stretch of traffic saw. */
interface Traffic {
  answered: number;
  timedOut: number;
  failed: string[];
  wrong: number;
}

describeCluster('Redis Cluster failover', () => {
  let cluster: RedisClusterProcess;
  let admin: Cluster;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start({ nodeTimeoutMs: 1500 });
    admin = cluster.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await app?.close();
    admin?.disconnect();
    await cluster?.stop();
  });

  afterEach(async () => {
    await client?.close();
    await app?.close();
    client = undefined;
    app = undefined;
    runs.clear();
    // The killed master comes back as a replica of the promoted one: the next case has a full cluster again.
    for (const node of cluster.nodes) await cluster.restart(node);
  }, 60_000);

  for (const tagged of [false, true]) {
    const label = tagged ? 'a tagged prefix (every key on the killed master)' : 'an untagged prefix (services on three masters)';
    it(`resumes calls after the master of a service stream is killed and its replica promoted, with ${label}, leaving nothing pending`, async () => {
      const base = `fo${Math.random().toString(36).slice(2, 8)}`;
      const keyPrefix = tagged ? `{${base}}` : base;
      const services = tagged ? ['alpha', 'beta', 'gamma'] : await cluster.servicesOnDistinctMasters(keyPrefix, 3);
      ({ app } = await startMicroservice(services.map(controllerFor), {
        keyPrefix,
        cluster: { nodes: cluster.startupNodes },
        concurrency: 32,
        blockMs: 200,
        consumerClaimIdleMs: 2000,
        maintenanceIntervalMs: 600_000,
      }));
      client = new ClamatorClient({ keyPrefix, cluster: { nodes: cluster.startupNodes }, defaultTimeoutMs: 8000 });
      await client.connect();

      let stop = false;
      let sequence = 0;
      const traffic: Traffic = { answered: 0, timedOut: 0, failed: [], wrong: 0 };
      const caller = client;
      // 16 callers, each one call at a time, round robin over the services.
      const callers = Array.from({ length: 16 }, async () => {
        while (!stop) {
          const n = sequence++;
          try {
            const result = await caller.call<number>(services[n % 3], 'double', { id: `c${n}`, n });
            if (result === n * 2) traffic.answered += 1;
            else traffic.wrong += 1;
          } catch (error) {
            if (/timed out|timeout|^No reply to/i.test((error as Error).message)) traffic.timedOut += 1;
            else traffic.failed.push((error as Error).message);
            await delay(50);
          }
        }
      });

      await waitFor(() => traffic.answered >= 500, 20_000, '500 calls answered before the kill');
      const victim = await cluster.masterOfSlot(keySlot(`${keyPrefix}:cmds:${services[0]}`));
      const killedAt = Date.now();
      cluster.kill(victim);
      const promoted = await cluster.waitPromoted(keySlot(`${keyPrefix}:cmds:${services[0]}`), victim.port, 30_000);
      const promotedAfterMs = Date.now() - killedAt;
      expect(promoted.port).not.toBe(victim.port);

      // Calls resume on the promoted replica, with the same server and client.
      const answeredAtHealthy = traffic.answered;
      await waitFor(() => traffic.answered >= answeredAtHealthy + 1000, 30_000, '1000 more calls answered after the failover');
      stop = true;
      await Promise.all(callers);

      // Entries whose reply or acknowledgement was lost are reclaimed and answered: none stays pending.
      await waitFor(async () => {
        const pending = await Promise.all(services.map((s) => pendingOf(admin, `${keyPrefix}:cmds:${s}`, s)));
        return pending.every((n) => n === 0);
      }, 20_000, 'nothing pending once the cluster is healthy');

      const reruns = [...runs.values()].filter((count) => count > 1).length;
      // Numbers for the README ("Scaling out"); not asserted: they depend on where the kill lands.
      process.stdout.write(
        `failover (${tagged ? 'tagged' : 'untagged'}): promoted after ${promotedAfterMs} ms; ${traffic.answered} answered, ${traffic.timedOut} timed out, ` +
          `${traffic.failed.length} failed (${[...new Set(traffic.failed)].slice(0, 3).join(' | ')}), ${reruns} re-run\n`,
      );
      expect(traffic.wrong).toBe(0);
      expect(traffic.failed.length + traffic.timedOut).toBeLessThan(traffic.answered);
    }, 120_000);
  }
});

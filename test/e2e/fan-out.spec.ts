/**
 * Event fan-out on real processes: subscriptions (`@EventPattern(pattern, { subscription })`) read a
 * service's command stream through groups of their own, so each gets every notification once while
 * the service's own servers keep answering its calls; trimming waits for subscriptions, unless one
 * has been gone longer than `staleSubscriptionMs`; the trap of a lone `@EventPattern` is warned about.
 */
import { jest } from '@jest/globals';
import { Controller, Logger } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { ClamatorClient } from '../../lib/index.js';
import { TsProcess } from '../utils/child-process.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

const FANOUT_WORKER = 'test/e2e/fixtures/fanout-worker.main.ts';

/** Fan-out worker processes started by a test, killed together. */
class Workers {
  private readonly started: TsProcess[] = [];

  async start(env: Record<string, string | number>): Promise<TsProcess> {
    const worker = new TsProcess(FANOUT_WORKER, Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])));
    this.started.push(worker);
    await worker.waitForLine(/^ready$/, 30_000);
    return worker;
  }

  async killAll(): Promise<void> {
    const all = this.started.splice(0);
    for (const worker of all) {
      worker.kill('SIGCONT');
      worker.kill('SIGKILL');
    }
    await Promise.all(all.map((worker) => worker.exited));
  }
}

/** A hash of counters as numbers, by field. */
async function counts(redis: Redis, key: string): Promise<Map<string, number>> {
  return new Map(Object.entries(await redis.hgetall(key)).map(([field, value]) => [field, Number(value)]));
}

/** True when every one of `total` notifications (fields 0..total-1) was counted exactly once. */
function eachOnce(counted: Map<string, number>, total: number): boolean {
  if (counted.size !== total) return false;
  for (let n = 0; n < total; n += 1) if (counted.get(String(n)) !== 1) return false;
  return true;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('event fan-out through subscriptions', () => {
  const connections = new TestConnections();
  const workers = new Workers();
  let client: ClamatorClient | undefined;
  let keyPrefix = '';

  beforeEach(() => {
    keyPrefix = uniquePrefix('fanout');
  });

  afterEach(async () => {
    try {
      await workers.killAll();
      await client?.close();
      await deleteKeys(connections.open(), keyPrefix);
    } finally {
      client = undefined;
    }
  }, 30_000);

  afterAll(() => connections.closeAll());

  it('gives every notification once to the service and once to each subscription (shared by its instances), while only the service answers calls', async () => {
    const redis = connections.open();
    const base = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix };
    const owners = await Promise.all(['owner-1', 'owner-2'].map((id) => workers.start({ ...base, ROLE: 'owner', INSTANCE_ID: id })));
    await Promise.all(['billing-1', 'billing-2'].map((id) => workers.start({ ...base, ROLE: 'subscriber', SUBSCRIPTION: 'billing', INSTANCE_ID: id })));
    await workers.start({ ...base, ROLE: 'subscriber', SUBSCRIPTION: 'audit', INSTANCE_ID: 'audit-1' });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;

    const calls = Promise.all(range(200).map((n) => caller.call<{ n: number; worker: string }>('orders', 'create', { n })));
    await Promise.all(range(1000).map((n) => caller.notify('orders', 'shipped', { n })));
    const answers = await calls;
    expect(answers.map(({ n }) => n)).toEqual(range(200));
    expect(new Set(answers.map(({ worker }) => worker))).toEqual(new Set(['owner-1', 'owner-2']));

    await waitFor(async () => eachOnce(await counts(redis, `${keyPrefix}:test:owner`), 1000), 20_000, 'the owner to handle each notification');
    await waitFor(async () => eachOnce(await counts(redis, `${keyPrefix}:test:sub:billing`), 1000), 20_000, 'billing to handle each notification');
    await waitFor(async () => eachOnce(await counts(redis, `${keyPrefix}:test:sub:audit`), 1000), 20_000, 'audit to handle each notification');
    // Settled: nothing more arrives later (a second delivery would show as a count of 2).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(eachOnce(await counts(redis, `${keyPrefix}:test:owner`), 1000)).toBe(true);
    expect(eachOnce(await counts(redis, `${keyPrefix}:test:sub:billing`), 1000)).toBe(true);
    expect(eachOnce(await counts(redis, `${keyPrefix}:test:sub:audit`), 1000)).toBe(true);
    // The two billing instances share the subscription's notifications.
    const byInstance = await counts(redis, `${keyPrefix}:test:by:billing`);
    expect([...byInstance.keys()].sort()).toEqual(['billing-1', 'billing-2']);
    expect([...byInstance.values()].reduce((a, b) => a + b, 0)).toBe(1000);

    const stream = `${keyPrefix}:cmds:orders`;
    const groups = ((await redis.xinfo('GROUPS', stream)) as unknown[][]).map((group) => String(group[1])).sort();
    expect(groups).toEqual(['orders', 'subscription:audit', 'subscription:billing']);
    for (const group of groups) {
      const [pending] = (await redis.xpending(stream, group)) as [number];
      expect({ group, pending: Number(pending) }).toEqual({ group, pending: 0 });
    }
    expect(owners.every((owner) => !owner.lines.some((line) => line.includes('only @EventPattern handlers')))).toBe(true);
  }, 90_000);

  it('keeps in the stream what a subscription has not read yet, however long trimming runs', async () => {
    const redis = connections.open();
    const base = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, MAINTENANCE_INTERVAL_MS: 100 };
    await workers.start({ ...base, ROLE: 'owner', INSTANCE_ID: 'owner-1' });
    const audit = await workers.start({ ...base, ROLE: 'subscriber', SUBSCRIPTION: 'audit', INSTANCE_ID: 'audit-1' });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;

    audit.kill('SIGSTOP');
    await Promise.all(range(500).map((n) => caller.notify('orders', 'shipped', { n })));
    await waitFor(async () => eachOnce(await counts(redis, `${keyPrefix}:test:owner`), 500), 20_000, 'the owner to handle each notification');
    // Many maintenance passes of the owner (every 100 ms) while the subscription is frozen.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await redis.xlen(`${keyPrefix}:cmds:orders`)).toBeGreaterThanOrEqual(500);

    audit.kill('SIGCONT');
    await waitFor(async () => eachOnce(await counts(redis, `${keyPrefix}:test:sub:audit`), 500), 20_000, 'audit to handle each notification');
    // Read by everyone now: trimmed (approximately: whole stream nodes of 100 entries).
    await waitFor(async () => (await redis.xlen(`${keyPrefix}:cmds:orders`)) < 200, 10_000, 'the stream trimmed once audit read it');
  }, 90_000);

  it('stops holding the stream for a subscription gone longer than staleSubscriptionMs, and says so once', async () => {
    const redis = connections.open();
    const base = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, MAINTENANCE_INTERVAL_MS: 100, STALE_SUBSCRIPTION_MS: 5000 };
    const owner = await workers.start({ ...base, ROLE: 'owner', INSTANCE_ID: 'owner-1' });
    const gone = await workers.start({ ...base, ROLE: 'subscriber', SUBSCRIPTION: 'gone', INSTANCE_ID: 'gone-1' });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;
    await caller.notify('orders', 'shipped', { n: -1 });
    await waitFor(async () => (await counts(redis, `${keyPrefix}:test:sub:gone`)).size === 1, 10_000, 'the subscription to read once');
    gone.kill('SIGKILL');
    await gone.exited;
    // Until then the gone subscription still holds the stream back.
    await Promise.all(range(300).map((n) => caller.notify('orders', 'shipped', { n: 1000 + n })));
    await waitFor(async () => (await counts(redis, `${keyPrefix}:test:owner`)).size === 301, 20_000, 'the owner to handle them');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await redis.xlen(`${keyPrefix}:cmds:orders`)).toBeGreaterThanOrEqual(300);
    // Longer than staleSubscriptionMs since its last heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 4500));

    await Promise.all(range(500).map((n) => caller.notify('orders', 'shipped', { n })));
    await waitFor(async () => (await counts(redis, `${keyPrefix}:test:owner`)).size === 801, 20_000, 'the owner to handle each notification');
    await waitFor(async () => (await redis.xlen(`${keyPrefix}:cmds:orders`)) < 200, 10_000, 'the stream trimmed past the stale subscription');
    await waitFor(() => owner.lines.some((line) => line.includes('"subscription:gone"') && line.includes('no active reader')), 5000, 'the warning');
    expect(owner.lines.filter((line) => line.includes('"subscription:gone"')).length).toBe(1);
  }, 90_000);
});

const heard: number[] = [];

@Controller()
class LoneListener {
  @EventPattern<string>('lone.shipped')
  shipped({ n }: { n: number }) {
    heard.push(n);
  }
}

@Controller()
class NotificationsOnly {
  @EventPattern<string>('quiet.tick', { compete: true })
  tick(params: unknown) {
    return params;
  }
}

describe('a server with only @EventPattern handlers for a service', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is warned that it joins the service as one of its own servers, and told how to subscribe', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { app } = await startMicroservice([LoneListener], { keyPrefix: uniquePrefix('trap'), redisUrl: redisUrl() });
    try {
      const warned = warnings.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('only @EventPattern handlers'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain('Service "lone"');
      expect(warned[0]).toContain("@EventPattern('lone.shipped', { subscription: '<name>' })");
      expect(warned[0]).toContain('{ compete: true }');
    } finally {
      await app.close();
    }
  });

  it('is not warned when it says { compete: true }', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { app } = await startMicroservice([NotificationsOnly], { keyPrefix: uniquePrefix('trap'), redisUrl: redisUrl() });
    try {
      expect(warnings.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('only @EventPattern'))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

const mixedHeard: string[] = [];

@Controller()
class MixedOwner {
  @EventPattern<string>('mixed.note', { compete: true })
  note({ n }: { n: number }) {
    mixedHeard.push(`own:${n}`);
  }
}

@Controller()
class MixedSubscriber {
  @EventPattern<string>('mixed.note', { subscription: 'copy' })
  note({ n }: { n: number }) {
    mixedHeard.push(`copy:${n}`);
  }
}

describe('one app with the service and a subscription for the same notification', () => {
  it('runs each handler once per notification, each through its own group', async () => {
    const keyPrefix = uniquePrefix('fanout-mixed');
    const { app } = await startMicroservice([MixedOwner, MixedSubscriber], { keyPrefix, redisUrl: redisUrl() });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    try {
      mixedHeard.length = 0;
      await Promise.all([1, 2, 3].map((n) => client.notify('mixed', 'note', { n })));
      await waitFor(() => mixedHeard.length >= 6, 10_000, 'both handlers');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([...mixedHeard].sort()).toEqual(['copy:1', 'copy:2', 'copy:3', 'own:1', 'own:2', 'own:3']);
    } finally {
      await client.close();
      await app.close();
    }
  });
});

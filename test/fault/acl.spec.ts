import { jest } from '@jest/globals';
import { Controller, type INestMicroservice, Logger } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { consumersOf, pendingCount } from './fault-helpers.js';

/**
 * Every command the transport sends, and nothing else. HELLO (RESP3 + AUTH) and QUIT need no
 * permission (Redis flags them no-auth). INFO is ioredis's ready check and CLIENT SETNAME names the
 * connections: both optional, but without them ioredis warns on every connect or the names are lost.
 * EVAL runs the script that removes a dead consumer atomically (its XINFO and XGROUP need the rules above);
 * EVALSHA runs the scripts that write a batch of requests, or of replies and acknowledgements, in one
 * command (EVAL sends one of them again after Redis lost its script cache).
 * CLIENT ID and CLIENT UNBLOCK let a closing server end its blocked reads cleanly.
 */
const TRANSPORT_COMMANDS = [
  '+xadd', '+xreadgroup', '+xread', '+xack', '+xautoclaim', '+xclaim', '+xpending', '+xtrim', '+xrange',
  '+xgroup|create', '+xgroup|delconsumer', '+xinfo|groups', '+xinfo|consumers',
  '+pexpire', '+del', '+set', '+get', '+eval', '+evalsha', '+info', '+client|setname', '+client|id', '+client|unblock',
];

const notified: number[] = [];

@Controller()
class AclController {
  @MessagePattern('acl.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @MessagePattern('acl.slow')
  async slow(@Payload() params: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, params.ms));
    return params.ms;
  }

  @EventPattern('acl.note')
  note(@Payload() params: { n: number }) {
    notified.push(params.n);
  }
}

const audited: number[] = [];

@Controller()
class AclAudit {
  // A subscription too: its heartbeat (SET) and the trimming that reads it (GET) run under the ACL.
  @EventPattern<string>('acl.note', { subscription: 'audit' })
  note(@Payload() params: { n: number }) {
    audited.push(params.n);
  }
}

describe('a least-privilege ACL user', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  const probes: Redis[] = [];

  afterEach(async () => {
    try {
      await client?.close();
      await app?.close();
      for (const probe of probes.splice(0)) probe.disconnect();
    } finally {
      await redis?.kill();
      redis = app = client = undefined;
    }
  }, 30_000);

  it('is enough for calls, notifications, reclaiming, claim refreshing, trimming and dead-consumer removal, with no command denied', async () => {
    const keyPrefix = uniquePrefix('fault-acl');
    const aclRules = ['on', '>clamator-secret', 'resetkeys', `~${keyPrefix}:*`, 'resetchannels', '-@all', ...TRANSPORT_COMMANDS];
    // The default user stays open for the test's own probes (OwnRedis checks liveness with a bare PING).
    redis = await OwnRedis.start(['--user', 'clamator', ...aclRules]);
    const admin = new Redis(redis.url);
    probes.push(admin);
    const url = `redis://clamator:clamator-secret@127.0.0.1:${redis.port}`;
    const ghost = new Redis(url);
    probes.push(ghost);
    const stream = `${keyPrefix}:cmds:acl`;

    // The user cannot touch keys outside its prefix, nor run anything else.
    await expect(ghost.incr(`${keyPrefix}:plain`)).rejects.toThrow(/NOPERM/);
    await expect(ghost.xadd('elsewhere', '*', 'a', '1')).rejects.toThrow(/NOPERM/);
    await admin.acl('LOG', 'RESET');

    // A consumer that takes a request and dies with it, before any server runs.
    client = new ClamatorClient({ keyPrefix, redisUrl: url });
    const caller = client;
    await ghost.xgroup('CREATE', stream, 'acl', '$', 'MKSTREAM');
    const orphaned = caller.call<number>('acl', 'add', { a: 20, b: 22 }, { timeoutMs: 30_000 });
    await waitFor(async () => (await admin.xlen(stream)) === 1, 5000, 'the request');
    await ghost.xreadgroup('GROUP', 'acl', 'acl:ghost', 'COUNT', 1, 'STREAMS', stream, '>');
    expect(await pendingCount(admin, keyPrefix, 'acl')).toBe(1);

    const started = await startMicroservice([AclController, AclAudit], {
      keyPrefix,
      redisUrl: url,
      consumerClaimIdleMs: 1000,
      blockMs: 100,
      deadConsumerIdleMs: 1000,
      maintenanceIntervalMs: 100,
    });
    app = started.app;

    await expect(orphaned).resolves.toBe(42);
    // Batched writes then go through EVAL once, to put their scripts back in the cache.
    await admin.script('FLUSH');
    const sums = await Promise.all(Array.from({ length: 300 }, (_, i) => caller.call<number>('acl', 'add', { a: i, b: 1 })));
    expect(sums).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // Longer than consumerClaimIdleMs: the server keeps its claim fresh (XCLAIM ... JUSTID) while it runs.
    await expect(caller.call('acl', 'slow', { ms: 1500 })).resolves.toBe(1500);
    notified.length = 0;
    await caller.notify('acl', 'note', { n: 7 });
    await waitFor(() => notified.length === 1 && audited.includes(7), 5000, 'the notification, to the service and the subscription');
    expect(notified).toEqual([7]);

    await waitFor(async () => (await admin.xlen(stream)) < 150, 10_000, 'acknowledged entries trimmed');
    await waitFor(async () => !(await consumersOf(admin, keyPrefix, 'acl')).has('acl:ghost'), 10_000, 'the dead consumer removed');
    expect(await pendingCount(admin, keyPrefix, 'acl')).toBe(0);
    await caller.close();
    await app.close();
    expect(await admin.exists(caller.replyStream)).toBe(0);

    const denied = (await admin.acl('LOG')) as unknown[][];
    expect(denied.map((entry) => entry.map(String).join(' '))).toEqual([]);
  }, 60_000);

  it('without +eval and +evalsha still carries calls and notifications, one command per write', async () => {
    const keyPrefix = uniquePrefix('fault-acl-noscript');
    const withoutScripts = TRANSPORT_COMMANDS.filter((rule) => rule !== '+eval' && rule !== '+evalsha');
    redis = await OwnRedis.start(['--user', 'clamator', 'on', '>clamator-secret', 'resetkeys', `~${keyPrefix}:*`, 'resetchannels', '-@all', ...withoutScripts]);
    const admin = new Redis(redis.url);
    probes.push(admin);
    const url = `redis://clamator:clamator-secret@127.0.0.1:${redis.port}`;
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      ({ app } = await startMicroservice([AclController], { keyPrefix, redisUrl: url, blockMs: 100, concurrency: 8 }));
      client = new ClamatorClient({ keyPrefix, redisUrl: url });
      const caller = client;
      const sums = await Promise.all(Array.from({ length: 200 }, (_, i) => caller.call<number>('acl', 'add', { a: i, b: 1 })));
      expect(sums).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      notified.length = 0;
      await Promise.all([1, 2, 3].map((n) => caller.notify('acl', 'note', { n })));
      await waitFor(() => notified.length === 3, 5000, 'the notifications');
      expect(await pendingCount(admin, keyPrefix, 'acl')).toBe(0);

      const warned = warnings.mock.calls.map(([message]) => String(message));
      // One warning per endpoint (server and client), however many of its writers found scripts refused.
      expect(warned.filter((message) => message.includes('refused to run scripts'))).toHaveLength(2);
      // Only the first attempts (the script loading on connect, maybe a first batch sent meanwhile), and nothing else denied.
      const denied = ((await admin.acl('LOG')) as unknown[][]).map((entry) => {
        const fields = new Map<string, unknown>();
        for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
        return { object: String(fields.get('object')), count: Number(fields.get('count')) };
      });
      expect([...new Set(denied.map(({ object }) => object))].every((object) => object === 'eval' || object === 'evalsha')).toBe(true);
      const attempts = denied.reduce((sum, { count }) => sum + count, 0);
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(8);
    } finally {
      warnings.mockRestore();
    }
  }, 60_000);
});

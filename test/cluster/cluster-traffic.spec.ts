/**
 * The transport on a real Redis Cluster (3 masters, 3 replicas): with an untagged prefix the
 * command streams of services spread over the masters and reply streams land wherever they hash,
 * so every batch is split by slot; with a tagged prefix everything shares one slot. Either way,
 * every call is answered and every notification handled exactly once, nothing stays pending, and
 * `close()` is clean.
 */
import { Controller, type INestMicroservice } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Cluster } from 'ioredis';
import { ClamatorClient, ClamatorHealthIndicator, ClamatorOptionsError, ClamatorServer, ClamatorStreamsService, ClamatorTransportError } from '../../lib/index.js';
import { freePort } from '../utils/redis-process.mjs';
import { keySlot } from '../../lib/streams/cluster/key-slot.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { RedisClusterProcess } from '../utils/redis-cluster.js';
import { waitFor } from '../utils/redis.js';
import { describeCluster, pendingOf } from './cluster-helpers.js';

/** Runs of each call (by its `id` param) and of each notification (by `n`), across the spec. */
const callRuns = new Map<string, number>();
const noteRuns = new Map<string, number>();

function count(runs: Map<string, number>, key: string): void {
  runs.set(key, (runs.get(key) ?? 0) + 1);
}

/** Names of the connections the transport opened (`clamator-server:...`, `clamator-client:...`) still open on any node. */
async function transportConnections(cluster: RedisClusterProcess): Promise<string[]> {
  const names: string[] = [];
  for (const { port } of cluster.nodes) {
    const node = cluster.node(port);
    try {
      for (const match of String(await node.call('CLIENT', 'LIST')).matchAll(/ name=(clamator-\S+)/g)) names.push(match[1]);
    } finally {
      node.disconnect();
    }
  }
  return names;
}

/** One controller per service name, made at run time: the service names depend on the cluster's slot layout. */
function controllerFor(service: string): new () => unknown {
  @Controller()
  class ServiceController {
    @MessagePattern(`${service}.double`)
    double(@Payload() { id, n }: { id: string; n: number }) {
      count(callRuns, id);
      return n * 2;
    }

    @EventPattern<string>(`${service}.note`)
    note(@Payload() { id }: { id: string }) {
      count(noteRuns, id);
    }
  }
  return ServiceController;
}

const CALLS = 3000;
const NOTIFICATIONS = 1000;

describeCluster('Redis Cluster traffic', () => {
  let cluster: RedisClusterProcess;
  let admin: Cluster;

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
    admin = cluster.connect();
  }, 60_000);

  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  it('computes the same hash slots as the cluster (CLUSTER KEYSLOT), hash tags included', async () => {
    const keys = ['app:cmds:a', '{app}:cmds:a', '{app}:replies:x', 'foo{}bar', 'foo{{bar}}zap', 'héllo:wörld', 'a{b}c{d}', ''];
    const node = cluster.node(cluster.nodes[0].port);
    try {
      for (const key of keys) expect(keySlot(key)).toBe(Number(await node.call('CLUSTER', 'KEYSLOT', key)));
    } finally {
      node.disconnect();
    }
  });

  it('refuses a cluster option beside redisUrl, and one without nodes, naming the option', () => {
    expect(() => new ClamatorClient({ keyPrefix: 'x', cluster: { nodes: cluster.startupNodes }, redisUrl: 'redis://127.0.0.1:1' })).toThrow(
      new ClamatorOptionsError('ClamatorClient', 'redisUrl', 'cannot be combined with "cluster"', 'redis://127.0.0.1:1'),
    );
    expect(() => new ClamatorClient({ keyPrefix: 'x', cluster: { nodes: [] } })).toThrow(/option "cluster.nodes" must be a non-empty array/);
  });

  it("opens blocking reads on an injected Cluster from a duplicate that keeps the transport's settings (name, no retry limit)", async () => {
    const injected = cluster.connect();
    const streams = new ClamatorStreamsService({ keyPrefix: 'dup', redis: injected, connectionName: 'dup-test' });
    try {
      await streams.ensureGroup('svc');
      const blocking = streams.openBlockingConnection('read:svc') as Cluster;
      expect(blocking.options.redisOptions).toMatchObject({ connectionName: 'dup-test:read:svc', maxRetriesPerRequest: null });
      await streams.readGroup(blocking, 'svc', 'c1', 1, 10);
      const node = await cluster.masterOfSlot(keySlot('dup:cmds:svc'));
      const plain = cluster.node(node.port);
      try {
        expect(String(await plain.call('CLIENT', 'LIST'))).toContain('name=dup-test:read:svc');
      } finally {
        plain.disconnect();
      }
    } finally {
      await streams.close();
      injected.disconnect();
    }
  });

  it('fails listen() within connectTimeoutMs naming the cluster when no startup node answers', async () => {
    const port = await freePort();
    const server = new ClamatorServer({ keyPrefix: 'nowhere', cluster: { nodes: [{ host: '127.0.0.1', port }] }, connectTimeoutMs: 1000 });
    const listening = new Promise<unknown>((resolve) => void server.listen((error) => resolve(error)));
    const error = (await listening) as Error;
    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toContain(`Could not reach Redis at redis-cluster://127.0.0.1:${port} within 1000 ms`);
    await server.close();
  });

  it('keeps one-call batches where every key shares a slot (a tagged prefix): replies and acknowledgements go in by script', async () => {
    const keyPrefix = `{batch${Math.random().toString(36).slice(2, 8)}}`;
    const master = await cluster.masterOfSlot(keySlot(`${keyPrefix}:cmds:alpha`));
    const monitor = await cluster.node(master.port).monitor();
    const topLevel: string[][] = [];
    const inScripts: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!args.some((arg) => arg.startsWith(keyPrefix))) return;
      (source === 'lua' ? inScripts : topLevel).push(args);
    });
    const { app } = await startMicroservice([controllerFor('alpha')], { keyPrefix, cluster: { nodes: cluster.startupNodes }, concurrency: 16, blockMs: 200 });
    const client = new ClamatorClient({ keyPrefix, cluster: { nodes: cluster.startupNodes } });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => client.call('alpha', 'double', { id: `b${i}`, n: i })));
      await waitFor(() => inScripts.filter(([command]) => command.toLowerCase() === 'xack').length > 0, 5000, 'acknowledgements seen');
      const named = (list: string[][], command: string) => list.filter(([name]) => name.toLowerCase() === command);
      // Every reply XADD and every XACK ran inside a script; requests went in by script too, in batches.
      expect(named(inScripts, 'xadd').filter(([, key]) => key.startsWith(`${keyPrefix}:replies:`))).toHaveLength(40);
      expect(named(topLevel, 'xadd').filter(([, key]) => key.startsWith(`${keyPrefix}:replies:`))).toHaveLength(0);
      expect(named(topLevel, 'xack')).toHaveLength(0);
      expect(named(topLevel, 'evalsha').length).toBeLessThan(40);
    } finally {
      monitor.disconnect();
      await client.close();
      await app.close();
    }
  });

  it('stores each reply before acknowledging its entry when the reply stream and the command stream are on different masters', async () => {
    const keyPrefix = `order${Math.random().toString(36).slice(2, 8)}`;
    const commandStream = `${keyPrefix}:cmds:alpha`;
    const commandMaster = await cluster.masterOfSlot(keySlot(commandStream));
    let instanceId = '';
    for (let i = 0; !instanceId; i += 1) {
      const candidate = `client${i}`;
      if ((await cluster.masterOfSlot(keySlot(`${keyPrefix}:replies:${candidate}`))).port !== commandMaster.port) instanceId = candidate;
    }
    const replyMaster = await cluster.masterOfSlot(keySlot(`${keyPrefix}:replies:${instanceId}`));
    // MONITOR timestamps of both nodes come from the same clock (one machine).
    const replyWrittenAt = new Map<string, number>();
    const ackedAt = new Map<string, number>();
    const monitors = [await cluster.node(replyMaster.port).monitor(), await cluster.node(commandMaster.port).monitor()];
    monitors[0].on('monitor', (time: string, args: string[]) => {
      if (args[0].toLowerCase() !== 'xadd' || args[1] !== `${keyPrefix}:replies:${instanceId}`) return;
      const envelope = JSON.parse(args[args.indexOf('envelope') + 1]) as { id: string };
      replyWrittenAt.set(envelope.id, Number(time));
    });
    monitors[1].on('monitor', (time: string, args: string[]) => {
      if (args[0].toLowerCase() !== 'xack' || args[1] !== commandStream) return;
      for (const entryId of args.slice(3)) if (!ackedAt.has(entryId)) ackedAt.set(entryId, Number(time));
    });
    const { app } = await startMicroservice([controllerFor('alpha')], { keyPrefix, cluster: { nodes: cluster.startupNodes }, concurrency: 16, blockMs: 200 });
    const client = new ClamatorClient({ keyPrefix, instanceId, cluster: { nodes: cluster.startupNodes } });
    const pauser = cluster.node(replyMaster.port);
    try {
      await client.connect();
      // Writes to the reply stream's master are held for a while: acknowledgements must wait for them.
      await pauser.call('CLIENT', 'PAUSE', '300', 'WRITE');
      await Promise.all(Array.from({ length: 40 }, (_, i) => client.call('alpha', 'double', { id: `o${i}`, n: i })));
      await waitFor(() => ackedAt.size === 40, 5000, 'every entry acknowledged');
      const entries = (await admin.xrange(commandStream, '-', '+')) as Array<[string, string[]]>;
      expect(entries).toHaveLength(40);
      for (const [entryId, fields] of entries) {
        const { id } = JSON.parse(fields[fields.indexOf('envelope') + 1]) as { id: string };
        const storedAt = replyWrittenAt.get(id);
        expect(storedAt).toBeDefined();
        expect(ackedAt.get(entryId)).toBeGreaterThan(storedAt as number);
      }
    } finally {
      for (const monitor of monitors) monitor.disconnect();
      pauser.disconnect();
      await client.close();
      await app.close();
    }
  });

  for (const tagged of [false, true]) {
    const label = tagged ? 'a tagged prefix ({app}: one slot)' : 'an untagged prefix (services on three masters)';
    it(`answers ${CALLS} calls and handles ${NOTIFICATIONS} notifications exactly once over ${label}, with nothing left pending`, async () => {
      callRuns.clear();
      noteRuns.clear();
      const base = `clu${tagged ? 't' : 'u'}${Math.random().toString(36).slice(2, 8)}`;
      const keyPrefix = tagged ? `{${base}}` : base;
      const services = tagged ? ['alpha', 'beta', 'gamma'] : await cluster.servicesOnDistinctMasters(keyPrefix, 3);
      if (!tagged) {
        const masters = await Promise.all(services.map((s) => cluster.masterOfSlot(keySlot(`${keyPrefix}:cmds:${s}`))));
        expect(new Set(masters.map((m) => m.port)).size).toBe(3);
      }
      const apps: INestMicroservice[] = [];
      const servers: ClamatorServer[] = [];
      const clients: ClamatorClient[] = [];
      try {
        // Two server processes' worth: two servers, one owning its cluster, one on an injected Cluster.
        const injected = cluster.connect();
        for (const redis of [undefined, injected]) {
          const { app, server } = await startMicroservice(services.map(controllerFor), {
            keyPrefix,
            ...(redis ? { redis } : { cluster: { nodes: cluster.startupNodes } }),
            concurrency: 64,
            blockMs: 200,
            maintenanceIntervalMs: 600_000,
          });
          apps.push(app);
          servers.push(server);
        }
        clients.push(new ClamatorClient({ keyPrefix, cluster: { nodes: cluster.startupNodes } }));
        const injectedForClient = cluster.connect();
        clients.push(new ClamatorClient({ keyPrefix, redis: injectedForClient }));
        await Promise.all(clients.map((client) => client.connect()));

        const calls: Array<Promise<void>> = [];
        for (let i = 0; i < CALLS; i += 1) {
          const client = clients[i % 2];
          const service = services[i % 3];
          calls.push(client.call<number>(service, 'double', { id: `c${i}`, n: i }).then((result) => expect(result).toBe(i * 2)));
        }
        for (let i = 0; i < NOTIFICATIONS; i += 1) {
          calls.push(clients[i % 2].notify(services[i % 3], 'note', { id: `n${i}` }));
        }
        await Promise.all(calls);
        await waitFor(() => noteRuns.size === NOTIFICATIONS, 20_000, 'every notification handled');

        expect(callRuns.size).toBe(CALLS);
        expect([...callRuns.values()].every((runs) => runs === 1)).toBe(true);
        expect([...noteRuns.values()].every((runs) => runs === 1)).toBe(true);
        await waitFor(async () => {
          const pending = await Promise.all(services.map((s) => pendingOf(admin, `${keyPrefix}:cmds:${s}`, s)));
          return pending.every((n) => n === 0);
        }, 10_000, 'nothing pending on any command stream');

        // The health check reads every served group wherever its stream lives in the cluster.
        for (const server of servers) {
          const { cluster: health } = await new ClamatorHealthIndicator().isHealthy('cluster', { connection: server, maxPending: 0 });
          expect(health).toMatchObject({ status: 'up', connected: true });
        }

        await Promise.all(clients.map((client) => client.close()));
        for (const app of apps) await app.close();
        injected.disconnect();
        injectedForClient.disconnect();
        // A closed client deletes its reply stream wherever it lives in the cluster.
        for (const client of clients) expect(await admin.exists(client.replyStream)).toBe(0);
        // close() leaves no connection of the transport open on any node.
        await waitFor(async () => (await transportConnections(cluster)).length === 0, 5000, 'no clamator connection left on any node');
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        for (const app of apps) await app.close();
      }
    }, 120_000);
  }
});

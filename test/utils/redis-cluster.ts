import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { keySlot } from '../../lib/streams/cluster/key-slot.js';
import { freePort } from './redis-process.mjs';

const run = promisify(execFile);

/** True when nothing listens on `port` of the loopback interface. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free as well, and not already taken by `taken`. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port) || taken.has(port + 10_000)) continue;
    if (await portIsFree(port + 10_000)) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('found no free port pair (port, port + 10000) for a cluster node');
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One redis-server of the cluster. */
export interface ClusterNodeProcess {
  readonly port: number;
  child: ChildProcess | undefined;
}

/**
 * A throwaway Redis Cluster on loopback: 3 masters and 3 replicas, each a `redis-server
 * --cluster-enabled yes` in its own directory under one tmp dir, stopped by pid and removed by `stop()`.
 */
export class RedisClusterProcess {
  private constructor(
    readonly nodes: ClusterNodeProcess[],
    private readonly dir: string,
    private readonly nodeTimeoutMs: number,
  ) {}

  /** Starts 6 nodes, creates the cluster (`--cluster-replicas 1`) and waits until it is healthy. */
  static async start(options: { nodeTimeoutMs?: number } = {}): Promise<RedisClusterProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'clamator-cluster-'));
    const taken = new Set<number>();
    const nodes: ClusterNodeProcess[] = [];
    for (let i = 0; i < 6; i += 1) nodes.push({ port: await freeClusterPort(taken), child: undefined });
    const cluster = new RedisClusterProcess(nodes, dir, options.nodeTimeoutMs ?? 1500);
    try {
      for (const node of nodes) cluster.spawnNode(node);
      for (const node of nodes) await waitFor(`node ${node.port} answering`, 10_000, () => pingNode(node.port));
      await run('redis-cli', [
        '--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes',
      ], { timeout: 30_000 });
      await cluster.waitHealthy(30_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Startup nodes for an ioredis `Cluster`. */
  get startupNodes(): Array<{ host: string; port: number }> {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  private spawnNode(node: ClusterNodeProcess): void {
    const child = spawn('redis-server', [
      '--port', String(node.port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${node.port}.conf`, '--cluster-node-timeout', String(this.nodeTimeoutMs),
      '--dir', this.dir,
    ], { stdio: 'ignore' });
    node.child = child;
  }

  /**
   * Resolves once every running node says `cluster_state:ok` with all 16384 slots served, and every
   * running replica has synced with its master.
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitFor('cluster_state:ok on every node with all slots covered', timeoutMs, async () => {
      for (const node of this.nodes) {
        if (!node.child) continue;
        const info = await nodeCommand(node.port, ['CLUSTER', 'INFO']);
        if (!String(info).includes('cluster_state:ok') || !String(info).includes('cluster_slots_ok:16384')) return false;
        // A replica that never synced with its master cannot be promoted when the master dies.
        const replication = String(await nodeCommand(node.port, ['INFO', 'replication']));
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      }
      return true;
    });
  }

  /**
   * Resolves once every running node sees a running master other than `formerPort` serving `slot`
   * (a replica promoted after the master was killed) and the cluster is healthy again.
   */
  async waitPromoted(slot: number, formerPort: number, timeoutMs: number): Promise<ClusterNodeProcess> {
    let promoted: ClusterNodeProcess | undefined;
    await waitFor(`a new master for slot ${slot}`, timeoutMs, async () => {
      const running = this.nodes.filter((node) => node.child);
      const seen = new Set<number>();
      for (const node of running) {
        const ranges = (await nodeCommand(node.port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) return false;
        seen.add(Number(range[2][1]));
      }
      const [port] = [...seen];
      promoted = running.find((node) => node.port === port);
      return seen.size === 1 && port !== formerPort && promoted !== undefined;
    });
    await this.waitHealthy(timeoutMs);
    return promoted as ClusterNodeProcess;
  }

  /** The running node serving `slot` as master, asked of a running node. */
  async masterOfSlot(slot: number): Promise<ClusterNodeProcess> {
    const anyNode = this.nodes.find((node) => node.child);
    if (!anyNode) throw new Error('no cluster node is running');
    const ranges = (await nodeCommand(anyNode.port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
    for (const [from, to, [, port]] of ranges) {
      if (slot >= from && slot <= to) {
        const node = this.nodes.find((candidate) => candidate.port === Number(port));
        if (node) return node;
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** `count` service names whose command streams `<prefix>:cmds:<name>` are served by `count` different masters. */
  async servicesOnDistinctMasters(prefix: string, count: number): Promise<string[]> {
    const picked = new Map<number, string>();
    for (let i = 0; i < 1000 && picked.size < count; i += 1) {
      const name = `svc${i}`;
      const master = await this.masterOfSlot(keySlot(`${prefix}:cmds:${name}`));
      if (!picked.has(master.port)) picked.set(master.port, name);
    }
    if (picked.size < count) throw new Error(`found no ${count} services on distinct masters`);
    return [...picked.values()];
  }

  /** The master ports, in slot order. */
  async masterPorts(): Promise<number[]> {
    const anyNode = this.nodes.find((node) => node.child);
    if (!anyNode) throw new Error('no cluster node is running');
    const ranges = (await nodeCommand(anyNode.port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
    return [...new Set(ranges.map(([, , [, port]]) => Number(port)))];
  }

  /** Kills one node at once (SIGKILL), as a crash would. */
  kill(node: ClusterNodeProcess): void {
    node.child?.kill('SIGKILL');
    node.child = undefined;
  }

  /**
   * Starts a killed node again on its port with its cluster config: it rejoins, as a replica of the
   * master promoted in its place. Resolves once the cluster is healthy with it synced.
   */
  async restart(node: ClusterNodeProcess, timeoutMs = 30_000): Promise<void> {
    if (node.child) return;
    this.spawnNode(node);
    await waitFor(`node ${node.port} answering again`, timeoutMs, () => pingNode(node.port));
    await this.waitHealthy(timeoutMs);
  }

  /** A plain connection to one node (not cluster-aware), closed by the caller. */
  node(port: number): Redis {
    return new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false });
  }

  /** A cluster-aware connection for tests, closed by the caller. */
  connect(): Cluster {
    const connection = new Cluster(this.startupNodes, { redisOptions: { maxRetriesPerRequest: 3 } });
    // A test connection outliving a killed node reports it; the test looks at its commands, not its events.
    connection.on('error', () => undefined);
    return connection;
  }

  /** Stops every node by pid and removes the tmp dir. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        const child = node.child;
        node.child = undefined;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function nodeCommand(port: number, args: string[]): Promise<unknown> {
  const connection = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  connection.on('error', () => undefined);
  try {
    await connection.connect();
    const [command, ...rest] = args as [string, ...string[]];
    return await connection.call(command, ...rest);
  } finally {
    connection.disconnect();
  }
}

async function pingNode(port: number): Promise<boolean> {
  return (await nodeCommand(port, ['PING'])) === 'PONG';
}

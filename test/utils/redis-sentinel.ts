/**
 * A throwaway Redis Sentinel set for fault tests: one master, one replica and three sentinels, all
 * on free loopback ports, each in a temporary directory of its own (sentinels rewrite their config
 * file, replicas may write a transfer file). `stop()` ends every process by pid and removes the
 * directories.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis-process.mjs';

/** The name the sentinels monitor the master under. */
export const SENTINEL_MASTER_NAME = 'mymaster';

/** How the sentinels judge and replace a master. */
export interface SentinelTimings {
  /** A master silent this long is subjectively down (`down-after-milliseconds`). Default: 1000. */
  readonly downAfterMs?: number;
  /** `failover-timeout`: how long one failover attempt may take before another may start. Default: 3000. */
  readonly failoverTimeoutMs?: number;
}

interface RedisNode {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
}

/** Runs `command` against one node on a throwaway connection that never waits out an outage. */
async function ask<T>(port: number, command: (connection: Redis) => Promise<T>): Promise<T> {
  const connection = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  connection.on('error', () => undefined);
  try {
    await connection.connect();
    return await command(connection);
  } finally {
    connection.disconnect();
  }
}

/** Field/value pairs of a flat reply (`SENTINEL MASTER`, `SENTINEL REPLICAS` rows) as an object. */
function record(flat: unknown): Record<string, string> {
  const fields = flat as string[];
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) result[fields[i]] = String(fields[i + 1]);
  return result;
}

async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Sentinel set: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A master, a replica and three sentinels on loopback, started healthy; see the file header. */
export class SentinelSet {
  private readonly nodes = new Map<number, RedisNode>();
  /** Every directory made for a node, killed ones included. */
  private readonly dirs: string[] = [];
  private constructor(
    /** Ports of the three sentinels. */
    readonly sentinelPorts: readonly number[],
    /** Port of the master the set started with. */
    readonly initialMasterPort: number,
    /** Port of the replica the set started with. */
    readonly initialReplicaPort: number,
  ) {}

  /** The sentinels as ioredis takes them (`sentinels` option). */
  get sentinels(): Array<{ host: string; port: number }> {
    return this.sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
  }

  /**
   * Starts the set and resolves once it is healthy: the replica linked to the master, and every
   * sentinel seeing the master, the replica and the two other sentinels. Whatever started is
   * stopped again when that fails.
   */
  static async start(timings: SentinelTimings = {}): Promise<SentinelSet> {
    const [masterPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
    const set = new SentinelSet(sentinelPorts, masterPort, replicaPort);
    try {
      await set.startNode(masterPort, []);
      await set.startNode(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
      for (const port of sentinelPorts) await set.startSentinel(port, masterPort, timings);
      await set.waitUntilHealthy(masterPort, 20_000);
    } catch (error) {
      await set.stop();
      throw error;
    }
    return set;
  }

  /** The port of the node the sentinels name as master now (`SENTINEL GET-MASTER-ADDR-BY-NAME`, first sentinel that answers). */
  async masterPort(): Promise<number> {
    for (const port of this.sentinelPorts) {
      const address = await ask(port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)).catch(() => undefined);
      if (Array.isArray(address)) return Number(address[1]);
    }
    throw new Error('Sentinel set: no sentinel answered GET-MASTER-ADDR-BY-NAME');
  }

  /** The pid of the redis-server on `port` while it runs. */
  pidOf(port: number): number | undefined {
    return this.nodes.get(port)?.child.pid;
  }

  /** SIGKILLs the redis-server on `port` (the master, typically) and waits until it is gone. */
  async kill(port: number): Promise<void> {
    const node = this.nodes.get(port);
    if (!node) throw new Error(`Sentinel set: no redis-server runs on port ${port}`);
    node.child.kill('SIGKILL');
    await node.exited;
    this.nodes.delete(port);
  }

  /**
   * Resolves once every sentinel names another master than `oldMasterPort` and that node says it is
   * a master (`ROLE`); returns its port.
   */
  async waitForPromotion(oldMasterPort: number, timeoutMs = 20_000): Promise<number> {
    let promoted = 0;
    await pollUntil(async () => {
      const named = new Set<number>();
      for (const port of this.sentinelPorts) {
        const address = (await ask(port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME))) as string[];
        named.add(Number(address[1]));
      }
      if (named.size !== 1) return false;
      [promoted] = named;
      if (promoted === oldMasterPort) return false;
      const [role] = (await ask(promoted, (c) => c.call('ROLE'))) as [string];
      return role === 'master';
    }, timeoutMs, `a replica to be promoted in place of 127.0.0.1:${oldMasterPort}`);
    return promoted;
  }

  /** A connection to one node of the set (not through the sentinels), for probes; the caller disconnects it. */
  connectTo(port: number): Redis {
    const connection = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    connection.on('error', () => undefined);
    return connection;
  }

  /** Kills every process of the set (SIGKILL: nothing of it needs to survive) and removes the temporary directories. */
  async stop(): Promise<void> {
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    for (const node of nodes) node.child.kill('SIGKILL');
    await Promise.all(nodes.map((node) => node.exited));
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }

  private async startNode(port: number, extraArgs: string[]): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `clamator-node-${port}-`));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', dir, ...extraArgs];
    await this.spawnAndPing(port, dir, args);
  }

  private async startSentinel(port: number, masterPort: number, timings: SentinelTimings): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `clamator-sentinel-${port}-`));
    const config = join(dir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${timings.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${timings.failoverTimeoutMs ?? 3000}`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    await this.spawnAndPing(port, dir, [config, '--sentinel']);
  }

  private async spawnAndPing(port: number, dir: string, args: string[]): Promise<void> {
    this.dirs.push(dir);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.nodes.set(port, { child, exited });
    await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} exited with code ${child.exitCode}`);
      return (await ask(port, (c) => c.ping())) === 'PONG';
    }, 10_000, `redis-server on port ${port} to answer PING`);
  }

  private async waitUntilHealthy(masterPort: number, timeoutMs: number): Promise<void> {
    await pollUntil(async () => {
      const info = await ask(this.initialReplicaPort, (c) => c.info('replication'));
      return info.includes('master_link_status:up');
    }, timeoutMs, 'the replica to link to the master');
    await pollUntil(async () => {
      for (const port of this.sentinelPorts) {
        const master = record(await ask(port, (c) => c.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)));
        if (master.flags !== 'master' || Number(master.port) !== masterPort) return false;
        if (Number(master['num-slaves']) !== 1 || Number(master['num-other-sentinels']) !== 2) return false;
        const replicas = (await ask(port, (c) => c.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME))) as unknown[];
        const replica = record(replicas[0]);
        if (replica.flags !== 'slave' || replica['master-link-status'] !== 'ok') return false;
      }
      return true;
    }, timeoutMs, 'every sentinel to see the master, the replica and the other two sentinels');
  }
}

/** `count` free loopback ports, all different (the OS may hand the same free port out twice in a row). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

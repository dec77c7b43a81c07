/**
 * `npm run bench:cluster`: calls per second of nestjs-clamator on a Redis Cluster (3 masters and
 * 3 replicas on loopback), services spread over the masters by an untagged prefix, against the same
 * on one shard (a tagged prefix) and on a single Redis. One server and one client process per
 * scenario, calls round robin over 3 services, interleaved rounds, medians. See bench/README.md.
 */
import { fork } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnRedis } from '../test/utils/redis-process.mjs';
import { RedisClusterProcess } from '../test/utils/redis-cluster.js';
import type { ClientConfig } from './client.js';
import { ChildChannel, type LoopResult } from './ipc.js';
import type { ServerConfig } from './server.js';

const benchDir = dirname(fileURLToPath(import.meta.url));

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const rounds = flag('--rounds', 3);
const seconds = flag('--seconds', 3);
const inflightLevels = [16, 256];

function startChild(script: string, label: string, config: ServerConfig | ClientConfig): ChildChannel {
  const child = fork(resolve(benchDir, script), [JSON.stringify(config)], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new ChildChannel(label, child);
}

interface Scenario {
  readonly name: string;
  readonly server: ChildChannel;
  readonly client: ChildChannel;
  readonly results: Map<number, LoopResult[]>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const cluster = await RedisClusterProcess.start();
const singlePort = await freePort();
const single = await spawnRedis(singlePort);
const scenarios: Scenario[] = [];
try {
  const nodes = cluster.startupNodes;
  const untagged = 'bench';
  const spread = await cluster.servicesOnDistinctMasters(untagged, 3);
  const configs: Array<{ name: string; config: ServerConfig }> = [
    { name: 'single Redis', config: { kind: 'clamator', redisUrl: `redis://127.0.0.1:${singlePort}`, keyPrefix: untagged, concurrency: 16, services: spread } },
    { name: 'cluster, untagged prefix (3 masters)', config: { kind: 'clamator', redisUrl: '', keyPrefix: untagged, concurrency: 16, clusterNodes: nodes, services: spread } },
    { name: 'cluster, tagged prefix (1 master)', config: { kind: 'clamator', redisUrl: '', keyPrefix: '{bench}', concurrency: 16, clusterNodes: nodes, services: spread } },
  ];
  for (const [i, { name, config }] of configs.entries()) {
    const server = startChild('server.ts', `server-${i}`, config);
    await server.ready;
    const client = startChild('client.ts', `client-${i}`, { kind: 'clamator', redisUrl: config.redisUrl, keyPrefix: config.keyPrefix, clusterNodes: config.clusterNodes, services: config.services });
    await client.ready;
    scenarios.push({ name, server, client, results: new Map() });
  }
  for (let round = 1; round <= rounds; round += 1) {
    for (const inflight of inflightLevels) {
      for (const scenario of scenarios) {
        const result = await scenario.client.request<LoopResult>('calls', { inflight, warmupMs: 500, durationMs: seconds * 1000, drainMs: 10_000 });
        const list = scenario.results.get(inflight) ?? [];
        list.push(result);
        scenario.results.set(inflight, list);
        process.stderr.write(`round ${round} ${scenario.name} @${inflight}: ${Math.round(result.callsPerSec)} calls/s, ${result.errors} errors\n`);
      }
    }
  }
  console.log(`\n${rounds} rounds × ${seconds} s, medians; services ${spread.join(', ')}; concurrency 16\n`);
  console.log('| scenario | in flight | calls/s | p50 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const inflight of inflightLevels) {
    for (const scenario of scenarios) {
      const results = scenario.results.get(inflight) ?? [];
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      console.log(
        `| ${scenario.name} | ${inflight} | ${Math.round(median(results.map((r) => r.callsPerSec)))} | ` +
          `${median(results.map((r) => r.p50Ms)).toFixed(2)} | ${median(results.map((r) => r.p99Ms)).toFixed(2)} | ${errors} |`,
      );
    }
  }
} finally {
  await Promise.all(scenarios.flatMap((scenario) => [scenario.client.stop(), scenario.server.stop()]));
  single.child.kill('SIGKILL');
  await single.exited;
  await cluster.stop();
}

/**
 * Upkeep on a real Redis Cluster (untagged prefix: the command stream, its dead-letter stream and
 * the reply streams hash to different slots): a request whose server process was SIGKILLed is
 * reclaimed and answered by another; the dead server's consumer is removed; an entry delivered too
 * often is dead-lettered, once; acknowledged entries are trimmed; the ops CLI (`--cluster`) lists
 * the streams of every master.
 */
import type { Cluster } from 'ioredis';
import { ClamatorClient } from '../../lib/index.js';
import { TsProcess } from '../utils/child-process.js';
import { runCli } from '../utils/cli-process.js';
import { RedisClusterProcess } from '../utils/redis-cluster.js';
import { waitFor } from '../utils/redis.js';
import { describeCluster, pendingOf } from './cluster-helpers.js';

const FAULT_WORKER = 'test/e2e/fixtures/fault-worker.main.ts';

describeCluster('Redis Cluster upkeep', () => {
  let cluster: RedisClusterProcess;
  let admin: Cluster;
  const workers: TsProcess[] = [];
  let client: ClamatorClient | undefined;

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
    admin = cluster.connect();
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await client?.close();
    admin?.disconnect();
    await cluster?.stop();
  });

  async function startWorker(keyPrefix: string, id: string, env: Record<string, string> = {}): Promise<TsProcess> {
    const nodes = cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',');
    const worker = new TsProcess(FAULT_WORKER, { CLUSTER_NODES: nodes, CLAMATOR_PREFIX: keyPrefix, INSTANCE_ID: id, BLOCK_MS: '200', ...env });
    workers.push(worker);
    await worker.waitForLine(/^ready$/, 30_000);
    return worker;
  }

  it('reclaims the request of a SIGKILLed server, removes its consumer, dead-letters an entry delivered too often and trims what was acknowledged', async () => {
    const keyPrefix = `mt${Math.random().toString(36).slice(2, 8)}`;
    const stream = `${keyPrefix}:cmds:work`;
    client = new ClamatorClient({ keyPrefix, cluster: { nodes: cluster.startupNodes }, defaultTimeoutMs: 30_000 });
    await client.connect();

    // A server process takes a slow request and dies with it.
    const doomed = await startWorker(keyPrefix, 'doomed', { CONSUMER_CLAIM_IDLE_MS: '600000' });
    const answer = client.call<{ slept: number; worker: string }>('work', 'slow', { ms: 500 });
    await doomed.waitForLine(/^started 500$/);
    doomed.kill('SIGKILL');
    await doomed.exited;

    // A poison entry: delivered three times already (to a consumer that never answers).
    const poisonId = (await admin.xadd(stream, '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"work.add","params":{"a":1,"b":2},"id":"p1"}', 'reply-to', `${keyPrefix}:replies:ghost`)) as string;
    await admin.xreadgroup('GROUP', 'work', 'work:ghost', 'COUNT', 1, 'STREAMS', stream, '>');
    for (let i = 0; i < 2; i += 1) await admin.xclaim(stream, 'work', 'work:ghost', 0, poisonId);

    // Another server reclaims both: answers the request, dead-letters the poison entry; and keeps house.
    await startWorker(keyPrefix, 'rescuer', {
      CONSUMER_CLAIM_IDLE_MS: '1000', MAX_DELIVERIES: '3', DEAD_CONSUMER_IDLE_MS: '2000', MAINTENANCE_INTERVAL_MS: '200',
    });
    expect(await answer).toEqual({ slept: 500, worker: 'rescuer' });

    await waitFor(async () => (await admin.xlen(`${keyPrefix}:dead:work`)) === 1, 15_000, 'the poison entry dead-lettered');
    const [[, deadFields]] = (await admin.xrange(`${keyPrefix}:dead:work`, '-', '+')) as [string, string[]][];
    expect(deadFields[deadFields.indexOf('dead-entry-id') + 1]).toBe(poisonId);

    const consumers = async () => ((await admin.xinfo('CONSUMERS', stream, 'work')) as unknown[][]).map((row) => String(row[1]));
    await waitFor(async () => !(await consumers()).some((name) => name === 'work:doomed' || name === 'work:ghost'), 15_000, 'dead consumers removed');

    // Acknowledged entries go (whole stream nodes of 100 entries): 400 calls leave far fewer behind.
    const caller = client;
    await Promise.all(Array.from({ length: 400 }, (_, i) => caller.call('work', 'add', { a: i, b: 1 })));
    await waitFor(async () => (await admin.xlen(stream)) < 200, 15_000, 'acknowledged entries trimmed');
    expect(await pendingOf(admin, stream, 'work')).toBe(0);
    // Dead letters are never trimmed.
    expect(await admin.xlen(`${keyPrefix}:dead:work`)).toBe(1);

    // The ops CLI finds the streams of every master: two more services, on masters of their own.
    const others = (await cluster.servicesOnDistinctMasters(keyPrefix, 3)).filter((s) => s !== 'work').slice(0, 2);
    for (const other of others) await admin.xgroup('CREATE', `${keyPrefix}:cmds:${other}`, other, '$', 'MKSTREAM');
    const nodes = cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',');
    const run = await runCli(['inspect', '--cluster', nodes, '--key-prefix', keyPrefix, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { services: Array<{ service: string; deadLetters: number }>; replyStreams: Array<{ key: string }> };
    expect(report.services.map(({ service }) => service)).toEqual(['work', ...others].sort());
    expect(report.services.find(({ service }) => service === 'work')).toMatchObject({ deadLetters: 1 });
    expect(report.replyStreams.map(({ key }) => key)).toContain(caller.replyStream);
  }, 120_000);
});

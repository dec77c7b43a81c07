import { ClamatorClient, ClamatorRpcError } from '../../lib/index.js';
import type { TsProcess } from '../utils/child-process.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { counters, fieldsOf, pendingCount, WorkerPool } from './fault-helpers.js';

describe('worker processes sharing a service', () => {
  const connections = new TestConnections();
  const pool = new WorkerPool();
  const clients: ClamatorClient[] = [];

  function client(keyPrefix: string): ClamatorClient {
    const created = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    clients.push(created);
    return created;
  }

  afterEach(async () => {
    await pool.killAll();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => connections.closeAll());

  it('two workers share 200 calls and every request is handled exactly once', async () => {
    const keyPrefix = uniquePrefix('fault-share');
    await Promise.all(['a', 'b'].map((id) => pool.start({ REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, INSTANCE_ID: id })));
    const caller = client(keyPrefix);

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => caller.call<{ sum: number; worker: string }>('work', 'add', { a: i, b: 1, record: true })),
    );

    results.forEach((result, i) => expect(result.sum).toBe(i + 1));
    const byWorker = new Map<string, number>();
    for (const { worker } of results) byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
    expect([...byWorker.keys()].sort()).toEqual(['a', 'b']);
    const probe = connections.open();
    const handled = await counters(probe, `${keyPrefix}:test:handled`);
    expect(handled.size).toBe(200);
    expect([...handled.values()].every((count) => count === 1)).toBe(true);
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'work')) === 0, 5000, 'nothing pending');
  }, 60_000);

  it('a call held by a SIGKILLed worker is run again and answered by the other worker after consumerClaimIdleMs', async () => {
    const keyPrefix = uniquePrefix('fault-kill');
    const settings = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, CONSUMER_CLAIM_IDLE_MS: 1000 };
    const workers = new Map<string, TsProcess>();
    await Promise.all(['a', 'b'].map(async (id) => workers.set(id, await pool.start({ ...settings, INSTANCE_ID: id }))));
    const caller = client(keyPrefix);
    const started = (id: string) => (workers.get(id) as TsProcess).lines.filter((line) => line === 'started 2000').length;

    const call = caller.call<{ slept: number; worker: string }>('work', 'slow', { ms: 2000 }, { timeoutMs: 30_000 });
    await waitFor(() => started('a') + started('b') === 1, 10_000, 'the slow handler to start');
    const [holder, survivor] = started('a') === 1 ? ['a', 'b'] : ['b', 'a'];
    const killed = workers.get(holder) as TsProcess;
    killed.kill('SIGKILL');
    await killed.exited;

    await expect(call).resolves.toEqual({ slept: 2000, worker: survivor });
    // The survivor ran it once, although it ran longer than consumerClaimIdleMs.
    expect(started(survivor)).toBe(1);
    const probe = connections.open();
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'work')) === 0, 5000, 'nothing pending');
  }, 60_000);

  it('an entry that kills its worker on every delivery is dead-lettered after maxDeliveries and its caller gets -32603', async () => {
    const keyPrefix = uniquePrefix('fault-poison');
    const settings = { REDIS_URL: redisUrl(), CLAMATOR_PREFIX: keyPrefix, CONSUMER_CLAIM_IDLE_MS: 1000, MAX_DELIVERIES: 3 };
    const started: TsProcess[] = [];
    let kills = 0;
    let supervising = true;
    // The test plays the supervisor (systemd, Kubernetes): a worker that dies is started again.
    const supervise = async (): Promise<void> => {
      while (supervising) {
        let worker: TsProcess;
        try {
          worker = await pool.start(settings);
        } catch (error) {
          if (supervising) throw error;
          return;
        }
        started.push(worker);
        const exit = await worker.exited;
        if (supervising && exit.signal === 'SIGKILL') kills += 1;
      }
    };
    const supervisors = [supervise(), supervise()];
    await waitFor(() => started.length === 2, 30_000, 'two workers');
    const caller = client(keyPrefix);
    const probe = connections.open();
    const deliveries = () => started.flatMap((worker) => worker.lines.filter((line) => line.startsWith('poison ')));

    const call = caller.call('work', 'poison', {}, { timeoutMs: 60_000 });
    const failure = call.catch((error: unknown) => error);
    await waitFor(() => deliveries().length > 0, 10_000, 'the first delivery');
    const [original] = (await probe.xrange(`${keyPrefix}:cmds:work`, '-', '+')) as [string, string[]][];

    const error = await failure;
    supervising = false;
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error).toMatchObject({
      code: -32603,
      data: { reason: 'delivered 4 times, more than maxDeliveries (3)', deliveryCount: 4 },
    });
    expect(deliveries().sort()).toEqual(['poison 1', 'poison 2', 'poison 3']);
    expect(kills).toBe(3);

    const dead = (await probe.xrange(`${keyPrefix}:dead:work`, '-', '+')) as [string, string[]][];
    expect(dead).toHaveLength(1);
    const [, deadFields] = dead[0];
    const [originalId, originalFields] = original;
    expect(deadFields.slice(0, originalFields.length)).toEqual(originalFields);
    expect(fieldsOf(deadFields)).toMatchObject({
      'dead-reason': 'delivered 4 times, more than maxDeliveries (3)',
      'dead-deliveries': '4',
      'dead-entry-id': originalId,
    });
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'work')) === 0, 5000, 'the poison entry acknowledged');
    await pool.killAll();
    await Promise.all(supervisors);
  }, 90_000);
});

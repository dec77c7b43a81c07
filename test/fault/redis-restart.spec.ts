import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { ClamatorClient, ClamatorTimeoutError, ClamatorTransportError, type ClamatorStatus } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { WorkerPool } from './fault-helpers.js';

@Controller()
class RestartController {
  @MessagePattern('restart.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }
}

type Outcome = 'ok' | 'wrong' | 'transport' | 'timeout' | 'other' | 'hung';

describe('Redis restarted empty under traffic', () => {
  const pool = new WorkerPool();
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  let probe: Redis | undefined;
  const injected: Redis[] = [];

  afterEach(async () => {
    try {
      await pool.killAll();
      await client?.close();
      await app?.close();
      probe?.disconnect();
      for (const connection of injected.splice(0)) connection.disconnect();
    } finally {
      await redis?.kill();
      client = app = probe = redis = undefined;
    }
  }, 30_000);

  it('calls made during the outage end in a timeout or transport error and never hang, calls succeed again after it, and server and client report reconnecting, then connected', async () => {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-restart');
    const started = await startMicroservice([RestartController], { keyPrefix, redisUrl: redis.url });
    app = started.app;
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    const caller = client;
    const serverStatuses: ClamatorStatus[] = [];
    const clientStatuses: ClamatorStatus[] = [];
    started.server.status.subscribe((status) => serverStatuses.push(status));
    caller.status.subscribe((status) => clientStatuses.push(status));
    await expect(caller.call('restart', 'add', { a: 1, b: 1 })).resolves.toBe(2);

    type Phase = 'before' | 'outage' | 'after';
    let phase: Phase = 'before';
    const calls: { outcome: Outcome; startedIn: Phase; settledIn: Phase }[] = [];
    const settled = (startedIn: Phase, settledIn: Phase, outcome?: Outcome) =>
      calls.filter((c) => c.startedIn === startedIn && c.settledIn === settledIn && (!outcome || c.outcome === outcome));
    let running = true;
    const callOnce = async (n: number): Promise<Outcome> => {
      const call = caller.call<number>('restart', 'add', { a: n, b: 1 }, { timeoutMs: 1500 }).then(
        (sum): Outcome => (sum === n + 1 ? 'ok' : 'wrong'),
        (error: unknown): Outcome =>
          error instanceof ClamatorTimeoutError ? 'timeout' : error instanceof ClamatorTransportError ? 'transport' : 'other',
      );
      // Far beyond the 1500 ms call timeout: a call still unsettled then would wait forever.
      return Promise.race([call, delay(20_000).then((): Outcome => 'hung')]);
    };
    const loop = async (lane: number): Promise<void> => {
      for (let n = lane * 1_000_000; running; n += 1) {
        const startedIn = phase;
        const outcome = await callOnce(n);
        calls.push({ outcome, startedIn, settledIn: phase });
        if (outcome !== 'ok') await delay(50);
      }
    };
    const lanes = Array.from({ length: 8 }, (_, lane) => loop(lane));
    await waitFor(() => settled('before', 'before', 'ok').length >= 50, 10_000, 'traffic before the outage');

    await redis.kill();
    phase = 'outage';
    await waitFor(() => serverStatuses.includes('reconnecting') && clientStatuses.includes('reconnecting'), 10_000, 'reconnecting');
    await waitFor(() => settled('outage', 'outage').length >= 8, 10_000, 'calls made during the outage to end');
    await redis.restart();
    phase = 'after';
    await waitFor(() => settled('after', 'after', 'ok').length >= 50, 20_000, 'calls to succeed again');
    running = false;
    await Promise.all(lanes);

    expect(calls.filter(({ outcome }) => outcome === 'hung' || outcome === 'other' || outcome === 'wrong')).toEqual([]);
    // A call made while Redis is down ends in an error (one made just before the restart may still be answered after it).
    expect(settled('outage', 'outage').filter(({ outcome }) => outcome !== 'timeout' && outcome !== 'transport')).toEqual([]);
    expect(serverStatuses.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
    expect(clientStatuses.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
  }, 90_000);

  it('with injected connections, server and client report reconnecting, then connected, following the connections the application owns', async () => {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-injected-status');
    const own = (): Redis => {
      const connection = new Redis(redis!.url);
      connection.on('error', () => undefined);
      injected.push(connection);
      return connection;
    };
    const started = await startMicroservice([RestartController], { keyPrefix, redis: own() });
    app = started.app;
    const caller = (client = new ClamatorClient({ keyPrefix, redis: own() }));
    const serverStatuses: ClamatorStatus[] = [];
    const clientStatuses: ClamatorStatus[] = [];
    let serverReconnectingEvents = 0;
    started.server.on('reconnecting', () => (serverReconnectingEvents += 1));
    started.server.status.subscribe((status) => serverStatuses.push(status));
    caller.status.subscribe((status) => clientStatuses.push(status));
    await expect(caller.call('restart', 'add', { a: 1, b: 1 })).resolves.toBe(2);

    await redis.kill();
    await waitFor(() => serverStatuses.includes('reconnecting') && clientStatuses.includes('reconnecting'), 10_000, 'reconnecting');
    await redis.restart();
    await waitFor(() => serverStatuses.at(-1) === 'connected' && clientStatuses.at(-1) === 'connected', 10_000, 'connected again');
    await expect(caller.call('restart', 'add', { a: 2, b: 3 }, { timeoutMs: 10_000 })).resolves.toBe(5);

    expect(serverStatuses.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
    expect(clientStatuses.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
    expect(serverReconnectingEvents).toBeGreaterThan(0);
    // The transport never closes what it was given.
    await caller.close();
    await started.app.close();
    client = app = undefined;
    expect(injected.map((connection) => connection.status)).toEqual(['ready', 'ready']);
  }, 60_000);

  it('serves requests written to the new, empty Redis before the server re-created its group', async () => {
    redis = await OwnRedis.start();
    const keyPrefix = uniquePrefix('fault-regroup');
    const worker = await pool.start({ REDIS_URL: redis.url, CLAMATOR_PREFIX: keyPrefix, INSTANCE_ID: 'w' });
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    const caller = client;
    await expect(caller.call('work', 'add', { a: 1, b: 2 })).resolves.toEqual({ sum: 3, worker: 'w' });

    // Frozen, the worker cannot notice the restart and re-create its group before the requests land.
    worker.kill('SIGSTOP');
    await redis.kill();
    await redis.restart();
    // The client refuses calls while its connection is away; wait until it is back.
    await waitFor(() => caller.unwrap<Redis>().status === 'ready', 10_000, 'the client to reconnect');
    const calls = Array.from({ length: 5 }, (_, i) =>
      caller.call<{ sum: number }>('work', 'add', { a: i, b: 10 }, { timeoutMs: 30_000 }),
    );
    const raw = (probe = new Redis(redis.url));
    await waitFor(async () => (await raw.xlen(`${keyPrefix}:cmds:work`)) === 5, 10_000, 'the requests in the new stream');
    expect(await raw.xinfo('GROUPS', `${keyPrefix}:cmds:work`)).toEqual([]);
    worker.kill('SIGCONT');

    const results = await Promise.all(calls);
    expect(results.map((r) => r.sum)).toEqual([10, 11, 12, 13, 14]);
    const statuses = () => worker.lines.filter((line) => line.startsWith('status ')).map((line) => line.slice('status '.length));
    await waitFor(() => /^connected .*reconnecting .*connected$/.test(statuses().join(' ')), 10_000, 'the worker to report reconnecting, then connected');
  }, 90_000);
});

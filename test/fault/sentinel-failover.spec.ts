// A Sentinel failover under traffic: the master of a real Sentinel set (1 master, 1 replica, 3
// sentinels) is SIGKILLed while a server and a client on the set call each other; the sentinels
// promote the replica and both follow it without a restart. Transport-level, so it runs against
// Nest 12 (and with ioredis 5), not again under CLAMATOR_NEST=11.
import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis, type RedisOptions } from 'ioredis';
import { ClamatorClient, type ClamatorServerOptions, type ClamatorStatus } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { SENTINEL_MASTER_NAME, SentinelSet } from '../utils/redis-sentinel.js';
import { delay, uniquePrefix, waitFor } from '../utils/redis.js';
import { type CallOutcome, describeSettled, outcomeOf, pendingCount, settleWithin, valueOf } from './fault-helpers.js';

const SERVICE = 'sentinel';
const LANES = 8;
const CALL_TIMEOUT_MS = 2_000;
const CLAIM_IDLE_MS = 2_000;
const SLOW_HANDLER_MS = 1_000;
/** Calls in flight across the failover with a timeout that outlasts it. */
const PATIENT_CALLS = [-10, -11, -12, -13];
const PATIENT_TIMEOUT_MS = 20_000;

/** Where each handled request is counted (`HINCRBY`), on the set itself: what a caller was answered for must survive the failover. */
let ledger: { redis: Redis; key: string } | undefined;

@Controller()
class LedgerController {
  @MessagePattern(`${SERVICE}.add`)
  async add(@Payload() { n }: { n: number }) {
    if (!ledger) throw new Error('no ledger');
    await ledger.redis.hincrby(ledger.key, String(n), 1);
    return n + 1;
  }

  /** Counted at once, answered a second later: in flight across the kill. */
  @MessagePattern(`${SERVICE}.slow`)
  async slow(@Payload() { n }: { n: number }) {
    if (!ledger) throw new Error('no ledger');
    await ledger.redis.hincrby(ledger.key, String(n), 1);
    await delay(SLOW_HANDLER_MS);
    return n + 1;
  }
}

type Phase = 'before' | 'failover' | 'after';
interface CallRecord {
  n: number;
  outcome: CallOutcome | 'hung';
  startedIn: Phase;
  settledAt: number;
}

/** How the server and the client reach the set. */
type Wiring = 'redisOptions' | 'injected';

const sentinelOptions = (set: SentinelSet): RedisOptions => ({ sentinels: set.sentinels, name: SENTINEL_MASTER_NAME });

const runsHere = process.env.CLAMATOR_NEST !== '11';

(runsHere ? describe : describe.skip)('Sentinel failover under traffic', () => {
  let set: SentinelSet | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;
  const connections: Redis[] = [];

  afterEach(async () => {
    try {
      await client?.close();
      await app?.close();
      for (const connection of connections.splice(0)) connection.disconnect();
    } finally {
      await set?.stop();
      set = app = client = ledger = undefined;
    }
  }, 30_000);

  const open = (options: RedisOptions): Redis => {
    const connection = new Redis(options);
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };

  async function failover(wiring: Wiring): Promise<void> {
    const sentinels = (set = await SentinelSet.start());
    const keyPrefix = uniquePrefix(`sentinel-${wiring}`);
    ledger = { redis: open({ ...sentinelOptions(sentinels), maxRetriesPerRequest: null }), key: `${keyPrefix}:ledger` };
    // Injected: connections the application owns, with ioredis's defaults, as an application would make them.
    const connect = (): Pick<ClamatorServerOptions, 'redis' | 'redisOptions'> =>
      wiring === 'injected' ? { redis: open(sentinelOptions(sentinels)) } : { redisOptions: sentinelOptions(sentinels) };
    const instanceId = `server-${wiring}`;
    const started = await startMicroservice([LedgerController], {
      keyPrefix, instanceId, consumerClaimIdleMs: CLAIM_IDLE_MS, concurrency: 16, ...connect(),
    });
    app = started.app;
    const caller = (client = new ClamatorClient({ keyPrefix, ...connect() }));
    const statuses = { server: [] as ClamatorStatus[], client: [] as ClamatorStatus[] };
    started.server.status.subscribe((status) => statuses.server.push(status));
    caller.status.subscribe((status) => statuses.client.push(status));
    await expect(caller.call(SERVICE, 'add', { n: -1 })).resolves.toBe(0);

    let phase: Phase = 'before';
    let running = true;
    const calls: CallRecord[] = [];
    const lanes = Array.from({ length: LANES }, async (_, lane) => {
      for (let n = lane * 1_000_000; running; n += 1) {
        const startedIn = phase;
        const call = caller.call<number>(SERVICE, 'add', { n }, { timeoutMs: CALL_TIMEOUT_MS }).then(
          (sum): CallOutcome => (sum === n + 1 ? 'ok' : 'wrong'),
          outcomeOf,
        );
        // Far beyond the call timeout: a call still unsettled then would wait forever.
        const outcome = await Promise.race([call, delay(CALL_TIMEOUT_MS * 10).then(() => 'hung' as const)]);
        calls.push({ n, outcome, startedIn, settledAt: Date.now() });
        if (outcome !== 'ok') await delay(50);
      }
    });
    const okCount = (startedIn: Phase) => calls.filter((c) => c.startedIn === startedIn && c.outcome === 'ok').length;
    await waitFor(() => okCount('before') >= 100, 10_000, 'traffic before the failover');

    const patient = PATIENT_CALLS.map((n) =>
      settleWithin(caller.call<number>(SERVICE, 'slow', { n }, { timeoutMs: PATIENT_TIMEOUT_MS }).then((sum) => ({ sum, at: Date.now() })), PATIENT_TIMEOUT_MS * 2),
    );
    const counted = ledger;
    await waitFor(async () => (await counted.redis.hmget(counted.key, ...PATIENT_CALLS.map(String))).every(Boolean), 5_000, 'the slow handlers to start');
    const oldMaster = await sentinels.masterPort();
    const killedAt = Date.now();
    await sentinels.kill(oldMaster);
    phase = 'failover';
    const newMaster = await sentinels.waitForPromotion(oldMaster);
    const promotedAt = Date.now();
    phase = 'after';
    await waitFor(() => okCount('after') >= 100, 30_000, 'calls to succeed on the promoted replica');
    const firstOkAfterKill = Math.min(...calls.filter((c) => c.startedIn !== 'before' && c.outcome === 'ok').map((c) => c.settledAt));
    running = false;
    await Promise.all(lanes);
    const patientAnswers = (await Promise.all(patient)).map(valueOf);

    const probe = sentinels.connectTo(newMaster);
    connections.push(probe);
    // Entries handled on the old master whose acknowledgement died with it are reclaimed and run again.
    await waitFor(async () => (await pendingCount(probe, keyPrefix, SERVICE)) === 0, 20_000, 'no entry left pending on the promoted replica');
    const handled = new Map(Object.entries(await probe.hgetall(ledger.key)).map(([n, count]) => [Number(n), Number(count)]));

    const count = (outcome: CallRecord['outcome']) => calls.filter((c) => c.outcome === outcome).length;
    const answered = calls.filter((c) => c.outcome === 'ok');
    const timedOut = calls.filter((c) => c.outcome === 'timeout');
    const reRuns = [...handled.values()].reduce((sum, runs) => sum + runs - 1, 0);
    console.info(
      `sentinel failover (${wiring}): promoted ${promotedAt - killedAt} ms after the kill, first call answered ` +
        `${firstOkAfterKill - killedAt} ms after it; ${calls.length} calls: ${answered.length} ok, ${timedOut.length} timeouts ` +
        `(${timedOut.filter((c) => !handled.has(c.n)).length} never run), ${count('transport')} transport errors; ` +
        `${reRuns} re-runs; calls in flight across the kill (${PATIENT_TIMEOUT_MS} ms timeout) answered ` +
        `${patientAnswers.map(({ at }) => at - killedAt).join(', ')} ms after it; statuses server "${statuses.server.join(' ')}", client "${statuses.client.join(' ')}"`,
    );

    expect(calls.filter((c) => c.outcome === 'hung' || c.outcome === 'wrong' || c.outcome === 'other' || c.outcome === 'rpc')).toEqual([]);
    expect(patientAnswers.map(({ sum }) => sum)).toEqual(PATIENT_CALLS.map((n) => n + 1));
    // Every answered call's work is on the promoted replica: nothing a caller was told is done was lost.
    expect(answered.filter((c) => !handled.has(c.n)).map((c) => c.n)).toEqual([]);
    // Calls made once the replica was promoted all went through.
    expect(calls.filter((c) => c.startedIn === 'after' && c.settledAt > firstOkAfterKill + CALL_TIMEOUT_MS && c.outcome !== 'ok')).toEqual([]);
    expect(statuses.server.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);
    expect(statuses.client.join(' ')).toMatch(/^connected .*reconnecting .*connected$/);

    await expectCleanClose(probe, instanceId, started.app, caller);
    app = client = undefined;
  }

  it('with redisOptions sentinels: calls resume on the promoted replica without a restart, calls in flight with a long enough timeout are answered, no answered call is lost, and status goes reconnecting, then connected', async () => {
    await failover('redisOptions');
  }, 90_000);

  it('with injected Sentinel connections: the same, and the status follows the injected connections through the failover', async () => {
    await failover('injected');
  }, 90_000);

  /**
   * Closes server and client with the old master still dead: both settle in bounded time, the
   * server's blocked read is ended with CLIENT UNBLOCK on the promoted replica (the node its read
   * connection is on, by the id learnt there), and no connection the transport opened is left there.
   */
  async function expectCleanClose(probe: Redis, instanceId: string, server: INestMicroservice, caller: ClamatorClient): Promise<void> {
    const readId = await clientIdNamed(probe, `clamator-server:${instanceId}:read:${SERVICE}`);
    expect(readId).toBeDefined();
    // MONITOR leaves admin commands such as CLIENT out; the slow log, told to keep every command, does not.
    await probe.config('SET', 'slowlog-log-slower-than', '0');
    await probe.config('SET', 'slowlog-max-len', '1024');
    await probe.slowlog('RESET');
    const closed = await settleWithin(Promise.all([caller.close(), server.close()]), 10_000);
    expect(describeSettled(closed)).toMatch(/^resolved/);
    const logged = (await probe.slowlog('GET', 1024)) as Array<[number, number, number, string[]]>;
    const unblocks = logged.map(([, , , args]) => args.join(' ')).filter((command) => /^client unblock /i.test(command));
    expect(unblocks).toEqual([`client UNBLOCK ${readId}`]);
    const left = (await probe.client('LIST')) as string;
    expect(left.split('\n').filter((line) => /name=clamator-/.test(line))).toEqual([]);
  }
});

/** The id of the connection named `name` on a node (`CLIENT LIST`), when there is one. */
async function clientIdNamed(probe: Redis, name: string): Promise<string | undefined> {
  const list = (await probe.client('LIST')) as string;
  const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
  return line?.match(/^id=(\d+)/)?.[1];
}

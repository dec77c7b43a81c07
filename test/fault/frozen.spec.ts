import { Controller, type INestMicroservice } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient, ClamatorTimeoutError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, OwnRedis, uniquePrefix } from '../utils/redis.js';
import { type CallOutcome, describeSettled, outcomeOf, pauseClients, rejectionOf, settleWithin, valueOf } from './fault-helpers.js';

/**
 * A Redis that stops answering for a while without dropping its connections: frozen (SIGSTOP, then
 * SIGCONT) or pausing its clients (CLIENT PAUSE ... ALL). Nothing may be lost and nothing may hang.
 * The outage lasts 4 s: long enough that a notify() bounded by its 1 s timeoutMs is told apart
 * from one that waits for Redis.
 */
const OUTAGE_MS = 4000;
const NOTIFY_TIMEOUT_MS = 1000;
/** A notify() must settle within its timeoutMs plus this (a noisy machine), well before the outage ends. */
const NOTIFY_MARGIN_MS = 2500;

@Controller()
class FrozenController {
  @MessagePattern('frozen.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @EventPattern('frozen.note')
  note(@Payload() params: { n: number }) {
    // Nothing to do: the tests look at how notify() settles.
    return params.n;
  }
}

type Outage = { begin: (redis: OwnRedis) => Promise<void>; end: (redis: OwnRedis) => Promise<void> };

const OUTAGES: Array<[string, Outage]> = [
  [
    `is frozen (SIGSTOP) for ${OUTAGE_MS} ms`,
    {
      begin: async (redis) => redis.signal('SIGSTOP'),
      end: async (redis) => redis.signal('SIGCONT'),
    },
  ],
  [
    `pauses its clients (CLIENT PAUSE ${OUTAGE_MS} ALL)`,
    {
      begin: (redis) => pauseClients(redis.url, OUTAGE_MS),
      // The pause ends by itself.
      end: async () => undefined,
    },
  ],
];

/** Outcome of a call, with its sum checked. */
function checked(call: Promise<number>, expected: number): Promise<CallOutcome> {
  return call.then((sum): CallOutcome => (sum === expected ? 'ok' : 'wrong'), outcomeOf);
}

function tally(outcomes: CallOutcome[]): Partial<Record<CallOutcome, number>> {
  const counts: Partial<Record<CallOutcome, number>> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

describe('a Redis that stops answering for a while during traffic', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  afterEach(async () => {
    try {
      redis?.signal('SIGCONT');
      const closes = [client?.close(), app?.close()];
      const settled = await settleWithin(Promise.allSettled(closes), 10_000);
      if (settled.state === 'hung') throw new Error('close() did not settle in cleanup');
    } finally {
      await redis?.kill();
      redis = app = client = undefined;
    }
  }, 30_000);

  it.each(OUTAGES)(
    'when Redis %s: calls outlasting it are all answered right, short calls time out, notify() ends within its timeoutMs, and all works after',
    async (_, outage) => {
      redis = await OwnRedis.start();
      const keyPrefix = uniquePrefix('fault-frozen');
      ({ app } = await startMicroservice([FrozenController], { keyPrefix, redisUrl: redis.url }));
      client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
      const caller = client;
      await caller.call('frozen', 'add', { a: 0, b: 0 });
      const add = (a: number, timeoutMs: number) => checked(caller.call<number>('frozen', 'add', { a, b: 1 }, { timeoutMs }), a + 1);

      // Still in flight when Redis stops answering.
      const before = Array.from({ length: 20 }, (_, i) => add(i, 20_000));
      await outage.begin(redis);
      const during = Array.from({ length: 20 }, (_, i) => add(100 + i, 20_000));
      const short = Array.from({ length: 5 }, (_, i) => settleWithin(add(200 + i, 300), 300 + 3000));
      const notified = settleWithin(caller.notify('frozen', 'note', { n: 1 }, { timeoutMs: NOTIFY_TIMEOUT_MS }), NOTIFY_TIMEOUT_MS + NOTIFY_MARGIN_MS);
      await delay(OUTAGE_MS);
      await outage.end(redis);

      const answered = await settleWithin(Promise.all([...before, ...during]), 20_000);
      expect(tally(valueOf(answered))).toEqual({ ok: 40 });
      expect((await Promise.all(short)).map(describeSettled)).toEqual(Array(5).fill(expect.stringMatching(/^resolved .*"timeout"/)));
      // Redis could not confirm it while it did not answer: the notification times out instead of waiting.
      const notifySettled = await notified;
      expect(describeSettled(notifySettled)).toMatch(/^rejected .* with ClamatorTimeoutError/);
      expect(rejectionOf(notifySettled)).toBeInstanceOf(ClamatorTimeoutError);

      const after = await settleWithin(Promise.all(Array.from({ length: 20 }, (_, i) => add(300 + i, 10_000))), 15_000);
      expect(tally(valueOf(after))).toEqual({ ok: 20 });
      await expect(caller.notify('frozen', 'note', { n: 2 }, { timeoutMs: 5000 })).resolves.toBeUndefined();
    },
    60_000,
  );
});

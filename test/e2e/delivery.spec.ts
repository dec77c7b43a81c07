/**
 * Delivery semantics on real Redis: notifications, ordering and concurrency, reclaiming the work
 * of a crashed consumer, and slow handlers that must not run twice.
 */
import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { ClamatorClient, ClamatorContext } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { fieldOf, readEntries, waitAllAcknowledged } from '../utils/raw-peer.js';
import { delay, deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

interface Seen {
  params: unknown;
  id: unknown;
  replyTo: string | null;
  isNotification: boolean;
  deliveryCount: number;
  consumer: string;
  entryId: string;
}

const seen = (params: unknown, context: ClamatorContext): Seen => ({
  params,
  id: context.getId(),
  replyTo: context.getReplyTo(),
  isNotification: context.isNotification(),
  deliveryCount: context.getDeliveryCount(),
  consumer: context.getConsumer(),
  entryId: context.getEntryId(),
});

const recorded: Seen[] = [];

@Controller()
class EventsController {
  @EventPattern<string>('events.recorded')
  record(@Payload() params: unknown, @Ctx() context: ClamatorContext) {
    recorded.push(seen(params, context));
    return 'an event handler result is never sent';
  }

  @MessagePattern('events.count')
  count() {
    return recorded.length;
  }
}

const sequence = { started: [] as number[], finished: [] as number[], active: 0, maxActive: 0 };

@Controller()
class SequenceController {
  @MessagePattern('seq.step')
  async step(@Payload() { i }: { i: number }) {
    sequence.started.push(i);
    sequence.active += 1;
    sequence.maxActive = Math.max(sequence.maxActive, sequence.active);
    await delay(Math.floor(Math.random() * 15));
    sequence.active -= 1;
    sequence.finished.push(i);
    return sequence.finished.length;
  }
}

const parallel = { active: 0, maxActive: 0, gate: undefined as Promise<void> | undefined };

@Controller()
class ParallelController {
  @MessagePattern('par.work')
  async work(@Payload() { i }: { i: number }) {
    parallel.active += 1;
    parallel.maxActive = Math.max(parallel.maxActive, parallel.active);
    if (parallel.gate) await parallel.gate;
    await delay(5 + Math.floor(Math.random() * 20));
    parallel.active -= 1;
    return i * 10;
  }
}

const jobRuns: Seen[] = [];

@Controller()
class JobsController {
  @MessagePattern('jobs.run')
  run(@Payload() params: unknown, @Ctx() context: ClamatorContext) {
    jobRuns.push(seen(params, context));
    return { done: params, deliveryCount: context.getDeliveryCount(), consumer: context.getConsumer() };
  }
}

const longRuns: Seen[] = [];

@Controller()
class LongController {
  @MessagePattern('long.run')
  async run(@Payload() params: unknown, @Ctx() context: ClamatorContext) {
    longRuns.push(seen(params, context));
    await delay(3500);
    return { consumer: context.getConsumer(), deliveryCount: context.getDeliveryCount() };
  }
}

describe('delivery on real Redis', () => {
  const keyPrefix = uniquePrefix('delivery');
  const connections = new TestConnections();
  const apps: INestMicroservice[] = [];
  let redis: Redis;
  let blocking: Redis;
  let client: ClamatorClient;

  const commandStream = (service: string) => `${keyPrefix}:cmds:${service}`;

  async function start(controllers: Parameters<typeof startMicroservice>[0], options: Partial<Parameters<typeof startMicroservice>[1]> = {}) {
    const { app, server } = await startMicroservice(controllers, { keyPrefix, redisUrl: redisUrl(), ...options });
    apps.push(app);
    return server;
  }

  beforeAll(async () => {
    redis = connections.open();
    blocking = connections.open();
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  });

  afterAll(async () => {
    await client?.close();
    await Promise.all(apps.map((app) => app.close()));
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  describe('notifications', () => {
    beforeAll(async () => {
      await start([EventsController]);
    });

    it('runs @EventPattern handlers for notify() and emit() without writing any reply', async () => {
      await client.notify('events', 'recorded', { n: 1 });
      await lastValueFrom(client.emit('events.recorded', { n: 2 }), { defaultValue: undefined });
      await waitFor(() => recorded.length === 2, 5000, 'both notifications to be handled');

      expect(recorded.map((entry) => entry.params)).toEqual([{ n: 1 }, { n: 2 }]);
      for (const entry of recorded) expect(entry).toMatchObject({ id: null, replyTo: null, isNotification: true, deliveryCount: 1 });
      await waitAllAcknowledged(redis, commandStream('events'), 'events');
      // This client never made a call, so a reply stream under the prefix could only come from a reply to a notification.
      expect(await redis.keys(`${keyPrefix}:replies:*`)).toEqual([]);
    });

    it('answers a request with an id to an @EventPattern-only method with `result: null`, after running the handler', async () => {
      const before = recorded.length;
      const replyTo = `${keyPrefix}:replies:raw-events`;
      await redis.xadd(
        commandStream('events'), '*',
        'type', 'rpc', 'envelope', '{"jsonrpc": "2.0", "method": "events.recorded", "params": {"n": 3}, "id": 5}', 'reply-to', replyTo,
      );
      const [reply] = await readEntries(blocking, replyTo, 1);
      expect(JSON.parse(fieldOf(reply, 'envelope') as string)).toStrictEqual({ jsonrpc: '2.0', id: 5, result: null });
      expect(recorded.slice(before)).toEqual([expect.objectContaining({ params: { n: 3 }, id: 5, isNotification: false, replyTo })]);

      await expect(client.call('events', 'recorded', { n: 4 })).resolves.toBeNull();
      expect(recorded.at(-1)).toMatchObject({ params: { n: 4 }, isNotification: false });
    });
  });

  describe('ordering and concurrency', () => {
    beforeAll(async () => {
      await start([SequenceController]);
      await start([ParallelController], { concurrency: 4 });
    });

    it('with concurrency 1 (the default) runs 30 requests one at a time in the order they were sent', async () => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => client.call('seq', 'step', { i })));

      const sent = Array.from({ length: 30 }, (_, i) => i);
      expect(sequence.started).toEqual(sent);
      expect(sequence.finished).toEqual(sent);
      expect(sequence.maxActive).toBe(1);
      // Each request saw the effects of every request before it.
      expect(results).toEqual(sent.map((i) => i + 1));
    });

    it('with concurrency 4 runs four handlers at once, never more', async () => {
      let openGate!: () => void;
      parallel.gate = new Promise<void>((resolve) => (openGate = resolve));
      const calls = Array.from({ length: 24 }, (_, i) => client.call('par', 'work', { i }));

      await waitFor(() => parallel.active >= 4, 10_000, 'four handlers running at once');
      // Leave room for a fifth handler to start if the limit were not enforced.
      await delay(300);
      expect(parallel.active).toBe(4);
      parallel.gate = undefined;
      openGate();

      await expect(Promise.all(calls)).resolves.toEqual(Array.from({ length: 24 }, (_, i) => i * 10));
      expect(parallel.maxActive).toBe(4);
    });
  });

  describe('reclaiming', () => {
    it('takes over the entry of a crashed consumer after consumerClaimIdleMs and answers the caller (delivery count 2)', async () => {
      const stream = commandStream('jobs');
      await redis.xgroup('CREATE', stream, 'jobs', '$', 'MKSTREAM');
      const call = client.call('jobs', 'run', { task: 'rescue me' });
      // A consumer reads the entry and dies without acknowledging it.
      const read = (await blocking.xreadgroup('GROUP', 'jobs', 'jobs:dead', 'COUNT', 1, 'BLOCK', 5000, 'STREAMS', stream, '>')) as
        | [string, [string, string[]][]][]
        | null;
      const [[, [[deadEntryId]]]] = read as [string, [string, string[]][]][];
      expect(jobRuns).toEqual([]);

      await start([JobsController], { consumerClaimIdleMs: 1000, instanceId: 'rescuer' });
      await expect(call).resolves.toEqual({ done: { task: 'rescue me' }, deliveryCount: 2, consumer: 'jobs:rescuer' });

      expect(jobRuns).toEqual([expect.objectContaining({ entryId: deadEntryId, deliveryCount: 2, consumer: 'jobs:rescuer' })]);
      await waitAllAcknowledged(redis, stream, 'jobs');
    });

    it('runs a handler longer than consumerClaimIdleMs exactly once, with two servers on the same prefix', async () => {
      const options = { consumerClaimIdleMs: 1000 };
      await start([LongController], { ...options, instanceId: 'first' });
      await start([LongController], { ...options, instanceId: 'second' });

      const result = await client.call<{ consumer: string; deliveryCount: number }>('long', 'run', { job: 'slow' }, { timeoutMs: 20_000 });
      expect(['long:first', 'long:second']).toContain(result.consumer);
      expect(result.deliveryCount).toBe(1);
      await waitAllAcknowledged(redis, commandStream('long'), 'long');
      expect(longRuns).toHaveLength(1);
      expect(longRuns[0]).toMatchObject({ consumer: result.consumer, deliveryCount: 1 });
    });
  });
});

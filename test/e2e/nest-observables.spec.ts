import { Controller } from '@nestjs/common';
import { ClientProxy, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ClamatorClient, ClamatorRpcError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, uniquePrefix } from '../utils/redis.js';

const received: number[] = [];
let slowCalls = 0;

@Controller()
class ObservedController {
  @MessagePattern('obs.add')
  add(@Payload() p: { a: number; b: number }) {
    return p.a + p.b;
  }

  @MessagePattern('obs.nothing')
  nothing() {
    return undefined;
  }

  @MessagePattern('obs.fail')
  fail() {
    throw new Error('fails on purpose');
  }

  @MessagePattern('obs.slow')
  async slow() {
    slowCalls += 1;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return 'late';
  }

  @EventPattern('obs.seen')
  seen(@Payload() p: { n: number }) {
    received.push(p.n);
  }
}

const waitFor = async (check: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("send() and emit() Observables (Nest's way of calling)", () => {
  let close: () => Promise<void>;
  let client: ClamatorClient;
  const keyPrefix = uniquePrefix('observables');

  beforeAll(async () => {
    const { app } = await startMicroservice([ObservedController], { keyPrefix, redisUrl: redisUrl() });
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    close = async () => {
      await client.close();
      await app.close();
    };
  });

  afterAll(() => close());

  it('send() is cold: each subscription sends its own request and gets its own reply, then completes', async () => {
    const sum = client.send<number>('obs.add', { a: 2, b: 3 });
    await expect(lastValueFrom(sum.pipe(toArray()))).resolves.toEqual([5]);
    await expect(lastValueFrom(sum.pipe(toArray()))).resolves.toEqual([5]);
    expect(client.pendingCount).toBe(0);
  });

  const nest12 = typeof (ClientProxy.prototype as unknown as { setOnDispatchHook?: unknown }).setOnDispatchHook === 'function';
  (nest12 ? it : it.skip)("send() builds its packet at each subscription: Nest 12's dispatch hook runs once per request, not at send()", async () => {
    const hooked = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    let dispatched = 0;
    (hooked as unknown as { setOnDispatchHook(hook: () => void): void }).setOnDispatchHook(() => {
      dispatched += 1;
    });
    try {
      const sum = hooked.send<number>('obs.add', { a: 1, b: 1 });
      expect(dispatched).toBe(0);
      await firstValueFrom(sum);
      await firstValueFrom(sum);
      expect(dispatched).toBe(2);
    } finally {
      await hooked.close();
    }
  });

  it('send() emits null for a handler that returns nothing, as Nest transports do', async () => {
    await expect(lastValueFrom(client.send('obs.nothing', {}).pipe(toArray()))).resolves.toEqual([null]);
  });

  it('send() errors with the ClamatorRpcError of an error reply, and with a TypeError for a pattern naming no route', async () => {
    const failure = await firstValueFrom(client.send('obs.fail', {})).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClamatorRpcError);
    expect((failure as ClamatorRpcError).code).toBe(-32603);
    await expect(firstValueFrom(client.send('no-dot', {}))).rejects.toThrow(/pattern/i);
  });

  it('send() unsubscribed before the reply forgets the call at once, and its late reply settles nothing', async () => {
    const before = slowCalls;
    const values: unknown[] = [];
    const subscription = client.send('obs.slow', {}).subscribe({ next: (value) => values.push(value) });
    await waitFor(() => slowCalls > before, 5000);
    expect(client.pendingCount).toBe(1);
    subscription.unsubscribe();
    expect(client.pendingCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(values).toEqual([]);
    expect(client.pendingCount).toBe(0);
  });

  it('emit() is hot: the notification goes without a subscriber, once', async () => {
    client.emit('obs.seen', { n: 1 });
    await waitFor(() => received.includes(1), 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.filter((n) => n === 1)).toHaveLength(1);
  });

  it('emit(): a subscriber present when Redis confirms gets undefined and completion; a later one completion only', async () => {
    const emitted = client.emit('obs.seen', { n: 2 });
    await expect(lastValueFrom(emitted.pipe(toArray()))).resolves.toEqual([undefined]);
    await expect(lastValueFrom(emitted.pipe(toArray()))).resolves.toEqual([]);
    await waitFor(() => received.includes(2), 5000);
    expect(received.filter((n) => n === 2)).toHaveLength(1);
  });

  it('emit() errors every subscriber, early or late, when the notification cannot be sent', async () => {
    const refused = client.emit('no-dot', { n: 3 });
    await expect(firstValueFrom(refused)).rejects.toThrow(/pattern/i);
    const unsent = client.emit('obs.seen', 'not an object');
    const early = firstValueFrom(unsent).catch((error: unknown) => error);
    const failure = await early;
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toMatch(/params of obs\.seen must be an object, got string/);
    await expect(firstValueFrom(unsent)).rejects.toBe(failure);
  });
});

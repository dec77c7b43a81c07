import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient, ClamatorServer, ClamatorTransportError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

let started = 0;
let finished = 0;

@Controller()
class SlowController {
  @MessagePattern('life.sleep')
  async sleep(@Payload() params: { ms: number }) {
    started += 1;
    await delay(params.ms);
    finished += 1;
    return { slept: params.ms };
  }
}

describe('server lifecycle', () => {
  const connections = new TestConnections();
  afterAll(() => connections.closeAll());

  it('close() before listen() is safe, and listen() after close() fails with a clear error', async () => {
    const server = new ClamatorServer({ keyPrefix: uniquePrefix('life'), redisUrl: redisUrl() });
    await server.close();
    await server.close();
    const error = await new Promise<unknown>((resolve) => server.listen((err) => resolve(err)));
    expect(String(error)).toMatch(/listen\(\) after close\(\)/);
  });

  it('close() is idempotent: concurrent and repeated calls share one shutdown', async () => {
    const { app, server } = await startMicroservice([SlowController], { keyPrefix: uniquePrefix('life'), redisUrl: redisUrl() });
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await app.close();
    await server.close();
  });

  it('drains on app.close(): the reply of a handler in flight is delivered and its entry acknowledged', async () => {
    const keyPrefix = uniquePrefix('life');
    const { app } = await startMicroservice([SlowController], { keyPrefix, redisUrl: redisUrl() });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    started = finished = 0;
    const call = client.call('life', 'sleep', { ms: 600 });
    await waitFor(() => started === 1, 5000, 'handler start');
    await app.close();
    expect(finished).toBe(1);
    await expect(call).resolves.toEqual({ slept: 600 });
    const probe = connections.open();
    const [pendingCount] = (await probe.xpending(`${keyPrefix}:cmds:life`, 'life')) as [number];
    expect(pendingCount).toBe(0);
    await client.close();
  });

  it('stops reading at once: requests sent after close() began stay in the stream for another server', async () => {
    const keyPrefix = uniquePrefix('life');
    const { app } = await startMicroservice([SlowController], { keyPrefix, redisUrl: redisUrl() });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    started = finished = 0;
    const inFlight = client.call('life', 'sleep', { ms: 400 });
    await waitFor(() => started === 1, 5000, 'handler start');
    const closing = app.close();
    const late = client.call('life', 'sleep', { ms: 1 }, { timeoutMs: 300 });
    await closing;
    await expect(inFlight).resolves.toEqual({ slept: 400 });
    await expect(late).rejects.toThrow(/No reply/);
    expect(started).toBe(1);
    const probe = connections.open();
    const groups = (await probe.xinfo('GROUPS', `${keyPrefix}:cmds:life`)) as unknown[][];
    const group = groups[0] as unknown[];
    expect(group[group.indexOf('pending') + 1]).toBe(0);
    expect(group[group.indexOf('lag') + 1]).toBe(1);
    await client.close();
  });

  it('leaves a handler that outlives shutdownGraceMs pending for another server', async () => {
    const keyPrefix = uniquePrefix('life');
    const { app } = await startMicroservice([SlowController], { keyPrefix, redisUrl: redisUrl(), shutdownGraceMs: 100 });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    started = finished = 0;
    const call = client.call('life', 'sleep', { ms: 1500 }, { timeoutMs: 3000 });
    await waitFor(() => started === 1, 5000, 'handler start');
    await app.close();
    expect(finished).toBe(0);
    await client.close();
    await expect(call).rejects.toBeInstanceOf(ClamatorTransportError);
    const probe = connections.open();
    const [pendingCount] = (await probe.xpending(`${keyPrefix}:cmds:life`, 'life')) as [number];
    expect(pendingCount).toBe(1);
    await waitFor(() => finished === 1, 5000, 'abandoned handler to end');
  });

  it('never closes an injected connection', async () => {
    const keyPrefix = uniquePrefix('life');
    const injected = connections.open();
    const { app } = await startMicroservice([SlowController], { keyPrefix, redis: injected });
    const client = new ClamatorClient({ keyPrefix, redis: injected });
    await expect(client.call('life', 'sleep', { ms: 1 })).resolves.toEqual({ slept: 1 });
    await client.close();
    await app.close();
    expect(injected.status).toBe('ready');
    expect(await injected.ping()).toBe('PONG');
  });
});

describe('client lifecycle', () => {
  it('connects lazily and once: concurrent first calls share one connect', async () => {
    const keyPrefix = uniquePrefix('life');
    const { app } = await startMicroservice([SlowController], { keyPrefix, redisUrl: redisUrl() });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const opened: string[] = [];
    const original = client.streams.openBlockingConnection.bind(client.streams);
    client.streams.openBlockingConnection = (purpose: string) => {
      opened.push(purpose);
      return original(purpose);
    };
    expect(opened).toEqual([]);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.call('life', 'sleep', { ms: i })));
    expect(results).toHaveLength(10);
    expect(opened).toEqual(['replies']);
    const first = client.close();
    expect(client.close()).toBe(first);
    await first;
    await app.close();
  });
});

import { Redis } from 'ioredis';
import { ClamatorClient, ClamatorHealthIndicator, ClamatorServer, ClamatorStreamsService } from '../../../lib/index.js';

// Port 1: nothing listens there, so a connection attempt is refused at once.
const unreachable = 'redis://127.0.0.1:1';
const indicator = new ClamatorHealthIndicator();

describe('ClamatorHealthIndicator without Redis', () => {
  it('calls a client that never connected idle and up, and does not connect it', async () => {
    const client = new ClamatorClient({ keyPrefix: 'health', redisUrl: unreachable });
    await expect(indicator.isHealthy('orders', { connection: client })).resolves.toEqual({
      orders: {
        status: 'up',
        connection: 'client',
        connected: false,
        state: 'idle',
        message: 'idle: holds no connection, connects on its next call',
      },
    });
    expect(client.streams.openedConnection()).toBeUndefined();
  });

  it('leaves an injected lazy connection that was never used unconnected', async () => {
    const redis = new Redis(unreachable, { lazyConnect: true });
    try {
      const client = new ClamatorClient({ keyPrefix: 'health', redis });
      const result = await indicator.isHealthy('c', { connection: client });
      expect(result.c).toMatchObject({ status: 'up', connected: false, state: 'idle' });
      expect(redis.status).toBe('wait');
    } finally {
      redis.disconnect();
    }
  });

  it('calls a server that is not listening down, without connecting it', async () => {
    const server = new ClamatorServer({ keyPrefix: 'health', redisUrl: unreachable });
    const { s } = await indicator.isHealthy('s', { connection: server, maxPending: 10 });
    expect(s).toEqual({
      status: 'down', connection: 'server', connected: false, state: 'idle',
      failures: { server: 'not listening' }, message: 'server: not listening',
    });
    expect(server.streams.openedConnection()).toBeUndefined();
  });

  it('rejects invalid options with ClamatorOptionsError', async () => {
    const client = new ClamatorClient({ keyPrefix: 'health', redisUrl: unreachable });
    await expect(indicator.isHealthy('c', { connection: client, timeoutMs: 0 })).rejects.toThrow('option "timeoutMs"');
  });

  it("opens a streams service's own connection, waits for it up to timeoutMs, then says down at once while it cannot connect", async () => {
    const streams = new ClamatorStreamsService({ keyPrefix: 'health', redisUrl: unreachable });
    try {
      const startedAt = Date.now();
      const { r } = await indicator.isHealthy('r', { connection: streams, timeoutMs: 300 });
      const elapsed = Date.now() - startedAt;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
      expect(r).toMatchObject({
        status: 'down', connection: 'streams', connected: false, endpoint: 'redis://127.0.0.1:1',
        failures: { redis: expect.stringMatching(/^timeout after 300 ms \(connection is (reconnecting|connecting)\)$/) },
      });
      const connection = streams.openedConnection();
      expect(connection).toBeDefined();
      await new Promise<void>((resolve) => (connection?.status === 'reconnecting' ? resolve() : connection?.once('reconnecting', () => resolve())));
      // The same connection again, not a new one; and no waiting for it.
      const again = Date.now();
      const { r: second } = await indicator.isHealthy('r', { connection: streams, timeoutMs: 300 });
      expect(Date.now() - again).toBeLessThan(100);
      expect(second).toMatchObject({ status: 'down', state: 'reconnecting', failures: { redis: 'connection is reconnecting' } });
      expect(streams.openedConnection()).toBe(connection);
    } finally {
      await streams.close();
    }
    expect(streams.openedConnection()).toBeUndefined();
  });
});

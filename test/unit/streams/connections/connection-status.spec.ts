import { Redis, type RedisOptions } from 'ioredis';
import type { ClamatorStatus } from '../../../../lib/index.js';
import { followConnectionStatus } from '../../../../lib/streams/connections/connection-status.js';
import { delay, OwnRedis, waitFor } from '../../../utils/redis.js';

describe('followConnectionStatus on a real ioredis connection', () => {
  let redis: OwnRedis | undefined;
  let connection: Redis | undefined;

  afterEach(async () => {
    connection?.disconnect();
    await redis?.kill();
    connection = redis = undefined;
  });

  const open = (options: RedisOptions = {}): Redis => {
    connection = new Redis((redis as OwnRedis).url, { lazyConnect: true, retryStrategy: () => 50, ...options });
    connection.on('error', () => undefined);
    return connection;
  };

  it('reports connected once Redis answers, reconnecting (once) while it is away, connected when it is back, and disconnected when the connection ends', async () => {
    redis = await OwnRedis.start();
    const followed = open();
    const reported: ClamatorStatus[] = [];
    followConnectionStatus(followed, (status) => reported.push(status));
    await followed.connect();
    await waitFor(() => reported.length === 1, 2_000, 'connected');

    await redis.kill();
    await waitFor(() => reported.includes('reconnecting'), 2_000, 'reconnecting');
    // Several failed reconnects (one every 50 ms) while Redis is away are one outage.
    await delay(300);
    expect(reported).toEqual(['connected', 'reconnecting']);

    await redis.restart();
    await waitFor(() => reported.length === 3, 5_000, 'connected again');
    followed.disconnect();
    await waitFor(() => reported.length === 4, 2_000, 'disconnected');
    expect(reported).toEqual(['connected', 'reconnecting', 'connected', 'disconnected']);
  });

  it('reports disconnected, not reconnecting, when the connection gives up retrying', async () => {
    redis = await OwnRedis.start();
    const followed = open({ retryStrategy: () => null });
    await followed.connect();
    const reported: ClamatorStatus[] = [];
    followConnectionStatus(followed, (status) => reported.push(status));
    await redis.kill();
    await waitFor(() => followed.status === 'end', 2_000, 'the connection to end');
    await delay(50);
    expect(reported).toEqual(['disconnected']);
  });

  it('reports nothing once the returned function was called', async () => {
    redis = await OwnRedis.start();
    const followed = open();
    await followed.connect();
    const listeners = () => ['ready', 'close', 'reconnecting', 'end'].map((event) => followed.listenerCount(event));
    const before = listeners();
    const reported: ClamatorStatus[] = [];
    const unfollow = followConnectionStatus(followed, (status) => reported.push(status));
    unfollow();
    await redis.kill();
    await waitFor(() => followed.status === 'reconnecting' || followed.status === 'connecting', 2_000, 'the connection to notice');
    await delay(100);
    expect(reported).toEqual([]);
    expect(listeners()).toEqual(before);
  });
});

import { Redis, type RedisOptions } from 'ioredis';
import { describeRedisEndpoint } from '../../../../lib/streams/connections/redis-readiness.js';

describe('describeRedisEndpoint', () => {
  const opened: Redis[] = [];
  const connection = (target: string | RedisOptions, options: RedisOptions = {}) => {
    const redis = typeof target === 'string' ? new Redis(target, options) : new Redis(target);
    opened.push(redis);
    return redis;
  };
  afterAll(() => opened.forEach((redis) => redis.disconnect()));

  it('shows host and port, and a password only as ***', () => {
    expect(describeRedisEndpoint(connection('redis://127.0.0.1:6390', { lazyConnect: true }))).toBe('redis://127.0.0.1:6390');
    expect(describeRedisEndpoint(connection('redis://app:s3cret@10.0.0.1:6391', { lazyConnect: true }))).toBe('redis://app:***@10.0.0.1:6391');
    expect(describeRedisEndpoint(connection('redis://:s3cret@h:1', { lazyConnect: true }))).toBe('redis://:***@h:1');
    expect(describeRedisEndpoint(connection({ host: 'h', port: 2, password: 'x', lazyConnect: true }))).toBe('redis://:***@h:2');
  });

  it('says rediss:// for TLS, unix:// for a socket, and names the sentinels and master of a Sentinel set', () => {
    expect(describeRedisEndpoint(connection({ host: 'h', port: 3, tls: {}, lazyConnect: true }))).toBe('rediss://h:3');
    expect(describeRedisEndpoint(connection({ path: '/tmp/r.sock', lazyConnect: true }))).toBe('unix:///tmp/r.sock');
    const sentinel = connection({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'main', password: 'p', lazyConnect: true });
    expect(describeRedisEndpoint(sentinel)).toBe('sentinel://s1:26379,s2:26380/main');
  });
});

import { Redis } from 'ioredis';
import { ClamatorServer } from '../../../lib/server/clamator-server.js';
import { type ClamatorServerOptions, resolveServerOptions } from '../../../lib/server/clamator-server.options.js';
import { describeLazyConnection } from './connection-watch.js';
import { optionError, restoreRedisUrlAfterEach } from './option-error.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Both ways a server is configured: the resolver on its own and the constructor. */
const entryPoints: Array<[string, (options: ClamatorServerOptions) => unknown]> = [
  ['resolveServerOptions', (options) => resolveServerOptions(options)],
  ['new ClamatorServer', (options) => new ClamatorServer(options)],
];

describe('server options', () => {
  restoreRedisUrlAfterEach();

  describe('defaults', () => {
    it('applies the defaults of the existing peers', () => {
      delete process.env.REDIS_URL;
      const resolved = resolveServerOptions({ keyPrefix: 'app' });
      expect(resolved).toMatchObject({
        keyPrefix: 'app',
        redis: undefined,
        redisUrl: 'redis://localhost:6379',
        redisOptions: {},
        consumerClaimIdleMs: 60_000,
        replyStreamMaxLen: 100_000,
        shutdownGraceMs: 5_000,
        concurrency: 1,
        readCount: 16,
        blockMs: 1_000,
        maxDeliveries: 10,
        handlerTimeoutMs: 0,
        maxEnvelopeBytes: 1024 * 1024,
        deadConsumerIdleMs: 600_000,
        maintenanceIntervalMs: 5_000,
        connectTimeoutMs: 10_000,
      });
      expect(resolved.instanceId).toMatch(UUID_V4);
    });

    it('exposes the resolved options on the server', () => {
      delete process.env.REDIS_URL;
      const server = new ClamatorServer({ keyPrefix: 'app' });
      expect(server.options).toMatchObject({
        keyPrefix: 'app',
        redisUrl: 'redis://localhost:6379',
        consumerClaimIdleMs: 60_000,
        replyStreamMaxLen: 100_000,
        shutdownGraceMs: 5_000,
        concurrency: 1,
        readCount: 16,
        blockMs: 1_000,
        connectTimeoutMs: 10_000,
      });
      expect(server.options.instanceId).toMatch(UUID_V4);
      expect(server.streams.keys.commandStream('arith')).toBe('app:cmds:arith');
    });

    it('draws a different instance id for every server', () => {
      const ids = new Set(Array.from({ length: 20 }, () => resolveServerOptions({ keyPrefix: 'app' }).instanceId));
      expect(ids.size).toBe(20);
    });

    it('takes redisUrl from $REDIS_URL when the option is not given', () => {
      process.env.REDIS_URL = 'redis://env-host:6390/2';
      expect(resolveServerOptions({ keyPrefix: 'app' }).redisUrl).toBe('redis://env-host:6390/2');
      expect(new ClamatorServer({ keyPrefix: 'app' }).options.redisUrl).toBe('redis://env-host:6390/2');
    });

    it('prefers the redisUrl option over $REDIS_URL', () => {
      process.env.REDIS_URL = 'redis://env-host:6390';
      expect(resolveServerOptions({ keyPrefix: 'app', redisUrl: 'rediss://option-host:6391' }).redisUrl).toBe(
        'rediss://option-host:6391',
      );
    });

    it('falls back to redis://localhost:6379 when $REDIS_URL is empty', () => {
      process.env.REDIS_URL = '';
      expect(resolveServerOptions({ keyPrefix: 'app' }).redisUrl).toBe('redis://localhost:6379');
    });

    it('keeps given values, including the boundaries of each range', () => {
      const redis = new Redis({ lazyConnect: true });
      const given: ClamatorServerOptions = {
        keyPrefix: 'a:{b} c',
        redis,
        redisUrl: 'unix:///tmp/redis.sock',
        redisOptions: { db: 3 },
        instanceId: 'server-1',
        consumerClaimIdleMs: 100,
        replyStreamMaxLen: 1,
        shutdownGraceMs: 0,
        concurrency: 10_000,
        readCount: 10_000,
        blockMs: 60_000,
        maxDeliveries: 1,
        handlerTimeoutMs: 2_147_483_647,
        maxEnvelopeBytes: 64,
        deadConsumerIdleMs: 600_000,
        maintenanceIntervalMs: 100,
        connectTimeoutMs: 1,
      };
      expect(resolveServerOptions(given)).toMatchObject(given);
      expect(resolveServerOptions({ keyPrefix: 'app', handlerTimeoutMs: 0, deadConsumerIdleMs: 10_000 })).toMatchObject({
        handlerTimeoutMs: 0,
        deadConsumerIdleMs: 10_000,
      });
      redis.disconnect();
    });
  });

  describe.each(entryPoints)('invalid options fail at %s with an error naming the option', (_name, configure) => {
    it('keyPrefix missing, empty or not a string', () => {
      for (const keyPrefix of [undefined, '', 5, null, ['app']]) {
        const error = optionError(() => configure({ keyPrefix } as unknown as ClamatorServerOptions), 'keyPrefix', 'ClamatorServer');
        expect(error.message).toContain('required');
      }
    });

    it('no options at all', () => {
      optionError(() => configure(undefined as unknown as ClamatorServerOptions), 'keyPrefix', 'ClamatorServer');
      optionError(() => configure(null as unknown as ClamatorServerOptions), 'keyPrefix', 'ClamatorServer');
    });

    it('redisUrl with another scheme, empty or not a string', () => {
      for (const redisUrl of ['http://localhost:6379', 'localhost:6379', '127.0.0.1', 'redis:/localhost', '', 6379]) {
        const error = optionError(() => configure({ keyPrefix: 'app', redisUrl } as ClamatorServerOptions), 'redisUrl', 'ClamatorServer');
        expect({ redisUrl, ok: error.message.includes('redis://') || error.message.includes('non-empty') }).toEqual({
          redisUrl,
          ok: true,
        });
      }
    });

    it('$REDIS_URL with another scheme', () => {
      process.env.REDIS_URL = 'http://localhost:6379';
      const error = optionError(() => configure({ keyPrefix: 'app' }), 'redisUrl (from $REDIS_URL)', 'ClamatorServer');
      expect(error.message).toContain('"http://localhost:6379"');
    });

    it('redis that is not an ioredis connection', () => {
      const notConnections: unknown[] = [
        null,
        'redis://localhost:6379',
        6379,
        {},
        { host: 'localhost', port: 6379 },
        { duplicate: () => ({}) },
        { xadd: () => 1 },
      ];
      for (const redis of notConnections) {
        const error = optionError(() => configure({ keyPrefix: 'app', redis } as unknown as ClamatorServerOptions), 'redis', 'ClamatorServer');
        expect(error.message).toContain('ioredis connection');
      }
    });

    it('redisOptions that is not an object', () => {
      for (const redisOptions of [null, 'db=1', 1, ['db']]) {
        optionError(() => configure({ keyPrefix: 'app', redisOptions } as unknown as ClamatorServerOptions), 'redisOptions', 'ClamatorServer');
      }
    });

    it('instanceId empty or not a string', () => {
      for (const instanceId of ['', 7, null]) {
        optionError(() => configure({ keyPrefix: 'app', instanceId } as unknown as ClamatorServerOptions), 'instanceId', 'ClamatorServer');
      }
    });

    const notIntegers = [1.5, Number.NaN, Number.POSITIVE_INFINITY, '100', null, true];
    const integerRules: Array<[keyof ClamatorServerOptions, unknown[]]> = [
      ['consumerClaimIdleMs', [...notIntegers, -1, 0, 99]],
      ['replyStreamMaxLen', [...notIntegers, -1, 0]],
      ['shutdownGraceMs', [...notIntegers, -1]],
      ['concurrency', [...notIntegers, -1, 0, 10_001]],
      ['readCount', [...notIntegers, -1, 0, 10_001]],
      ['blockMs', [...notIntegers, -1, 0, 60_001]],
      ['maxDeliveries', [...notIntegers, -1, 0, 1_000_001]],
      ['handlerTimeoutMs', [...notIntegers, -1, 2_147_483_648]],
      ['maxEnvelopeBytes', [...notIntegers, -1, 0, 63, 512 * 1024 * 1024 + 1]],
      ['deadConsumerIdleMs', [...notIntegers, -1, 0, 9_999]],
      ['maintenanceIntervalMs', [...notIntegers, -1, 0, 99]],
      ['connectTimeoutMs', [...notIntegers, -1, 0, 2_147_483_648]],
    ];
    it.each(integerRules)('%s not an integer, negative, zero or out of range', (option, values) => {
      for (const value of values) {
        const error = optionError(() => configure({ keyPrefix: 'app', [option]: value } as ClamatorServerOptions), option, 'ClamatorServer');
        expect(error.message).toContain('must be an integer');
      }
    });

    it('telemetry not a boolean', () => {
      for (const value of ['yes', 1, null]) {
        const error = optionError(() => configure({ keyPrefix: 'app', telemetry: value } as unknown as ClamatorServerOptions), 'telemetry', 'ClamatorServer');
        expect(error.message).toContain('must be true or false');
      }
    });
  });

  it('requires deadConsumerIdleMs to stay well above blockMs', () => {
    const error = optionError(() => new ClamatorServer({ keyPrefix: 'app', blockMs: 5_000, deadConsumerIdleMs: 49_999 }), 'deadConsumerIdleMs', 'ClamatorServer');
    expect(error.message).toContain('50000');
    expect(resolveServerOptions({ keyPrefix: 'app', blockMs: 5_000, deadConsumerIdleMs: 50_000 }).deadConsumerIdleMs).toBe(50_000);
  });

  it('reports the invalid value in the message', () => {
    expect(() => new ClamatorServer({ keyPrefix: 'app', concurrency: 0 })).toThrow(
      'ClamatorServer: option "concurrency" must be an integer between 1 and 10000, got 0.',
    );
    expect(() => new ClamatorServer({ keyPrefix: 'app', consumerClaimIdleMs: 1.5 })).toThrow(/consumerClaimIdleMs.*milliseconds.*1\.5/);
  });

  describeLazyConnection((options) => new ClamatorServer(options));
});

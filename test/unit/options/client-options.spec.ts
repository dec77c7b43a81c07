import { Redis } from 'ioredis';
import { ClamatorClient } from '../../../lib/client/clamator-client.js';
import { type ClamatorClientOptions, MAX_TIMEOUT_MS, resolveClientOptions } from '../../../lib/client/clamator-client.options.js';
import { describeLazyConnection } from './connection-watch.js';
import { optionError, restoreRedisUrlAfterEach } from './option-error.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Both ways a client is configured: the resolver on its own and the constructor. */
const entryPoints: Array<[string, (options: ClamatorClientOptions) => unknown]> = [
  ['resolveClientOptions', (options) => resolveClientOptions(options)],
  ['new ClamatorClient', (options) => new ClamatorClient(options)],
];

describe('client options', () => {
  restoreRedisUrlAfterEach();

  describe('defaults', () => {
    it('applies the defaults of the existing peers', () => {
      delete process.env.REDIS_URL;
      const resolved = resolveClientOptions({ keyPrefix: 'app' });
      expect(resolved).toMatchObject({
        keyPrefix: 'app',
        redis: undefined,
        redisUrl: 'redis://localhost:6379',
        redisOptions: {},
        defaultTimeoutMs: 30_000,
        blockMs: 1_000,
        replyReadCount: 512,
        connectTimeoutMs: 10_000,
      });
      expect(resolved.instanceId).toMatch(UUID_V4);
    });

    it('names the reply stream <keyPrefix>:replies:<instanceId>', () => {
      const client = new ClamatorClient({ keyPrefix: 'app' });
      expect(client.options.instanceId).toMatch(UUID_V4);
      expect(client.replyStream).toBe(`app:replies:${client.options.instanceId}`);
      expect(new ClamatorClient({ keyPrefix: 'a:b', instanceId: 'c1' }).replyStream).toBe('a:b:replies:c1');
    });

    it('draws a different instance id for every client', () => {
      const ids = new Set(Array.from({ length: 20 }, () => new ClamatorClient({ keyPrefix: 'app' }).options.instanceId));
      expect(ids.size).toBe(20);
    });

    it('takes redisUrl from $REDIS_URL when the option is not given', () => {
      process.env.REDIS_URL = 'rediss://env-host:6390';
      expect(resolveClientOptions({ keyPrefix: 'app' }).redisUrl).toBe('rediss://env-host:6390');
      expect(new ClamatorClient({ keyPrefix: 'app' }).options.redisUrl).toBe('rediss://env-host:6390');
    });

    it('prefers the redisUrl option over $REDIS_URL', () => {
      process.env.REDIS_URL = 'redis://env-host:6390';
      expect(resolveClientOptions({ keyPrefix: 'app', redisUrl: 'redis://option-host:1' }).redisUrl).toBe('redis://option-host:1');
    });

    it('keeps given values, including the boundaries of each range', () => {
      const redis = new Redis({ lazyConnect: true });
      const given: ClamatorClientOptions = {
        keyPrefix: 'app',
        redis,
        redisUrl: 'redis://h:1',
        redisOptions: { username: 'u' },
        instanceId: 'client-1',
        defaultTimeoutMs: MAX_TIMEOUT_MS,
        blockMs: 1,
        replyReadCount: 100_000,
        connectTimeoutMs: MAX_TIMEOUT_MS,
        telemetry: false,
      };
      expect(resolveClientOptions(given)).toEqual(given);
      expect(resolveClientOptions({ keyPrefix: 'app', defaultTimeoutMs: 1, blockMs: 60_000, replyReadCount: 1, connectTimeoutMs: 1 })).toMatchObject({
        connectTimeoutMs: 1,
        defaultTimeoutMs: 1,
        blockMs: 60_000,
        replyReadCount: 1,
      });
      redis.disconnect();
    });
  });

  describe.each(entryPoints)('invalid options fail at %s with an error naming the option', (_name, configure) => {
    it('keyPrefix missing, empty or not a string', () => {
      for (const keyPrefix of [undefined, '', 5, null]) {
        optionError(() => configure({ keyPrefix } as unknown as ClamatorClientOptions), 'keyPrefix', 'ClamatorClient');
      }
      optionError(() => configure(undefined as unknown as ClamatorClientOptions), 'keyPrefix', 'ClamatorClient');
    });

    it('redisUrl with another scheme, empty or not a string', () => {
      for (const redisUrl of ['http://localhost:6379', 'localhost:6379', '', 6379]) {
        optionError(() => configure({ keyPrefix: 'app', redisUrl } as ClamatorClientOptions), 'redisUrl', 'ClamatorClient');
      }
    });

    it('$REDIS_URL with another scheme', () => {
      process.env.REDIS_URL = 'tcp://localhost:6379';
      optionError(() => configure({ keyPrefix: 'app' }), 'redisUrl (from $REDIS_URL)', 'ClamatorClient');
    });

    it('redis that is not an ioredis connection', () => {
      for (const redis of [null, 'redis://localhost:6379', {}, { duplicate: () => ({}) }, { xadd: () => 1 }]) {
        optionError(() => configure({ keyPrefix: 'app', redis } as unknown as ClamatorClientOptions), 'redis', 'ClamatorClient');
      }
    });

    it('redisOptions that is not an object', () => {
      for (const redisOptions of [null, 'db=1', ['db']]) {
        optionError(() => configure({ keyPrefix: 'app', redisOptions } as unknown as ClamatorClientOptions), 'redisOptions', 'ClamatorClient');
      }
    });

    it('instanceId empty or not a string', () => {
      for (const instanceId of ['', 7]) {
        optionError(() => configure({ keyPrefix: 'app', instanceId } as unknown as ClamatorClientOptions), 'instanceId', 'ClamatorClient');
      }
    });

    const notIntegers = [1.5, Number.NaN, Number.POSITIVE_INFINITY, '100', null, false];
    const integerRules: Array<[keyof ClamatorClientOptions, unknown[]]> = [
      ['defaultTimeoutMs', [...notIntegers, -1, 0, MAX_TIMEOUT_MS + 1]],
      ['blockMs', [...notIntegers, -1, 0, 60_001]],
      ['replyReadCount', [...notIntegers, -1, 0, 100_001]],
      ['connectTimeoutMs', [...notIntegers, -1, 0, MAX_TIMEOUT_MS + 1]],
    ];
    it.each(integerRules)('%s not an integer, negative, zero or out of range', (option, values) => {
      for (const value of values) {
        const error = optionError(() => configure({ keyPrefix: 'app', [option]: value } as ClamatorClientOptions), option, 'ClamatorClient');
        expect(error.message).toContain('must be an integer');
      }
    });

    it('telemetry not a boolean', () => {
      for (const value of ['yes', 1, null]) {
        const error = optionError(() => configure({ keyPrefix: 'app', telemetry: value } as unknown as ClamatorClientOptions), 'telemetry', 'ClamatorClient');
        expect(error.message).toContain('must be true or false');
      }
    });
  });

  describeLazyConnection(
    (options) => new ClamatorClient(options),
    (client) => expect(client.pendingCount).toBe(0),
  );
});

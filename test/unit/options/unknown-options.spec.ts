import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { ClamatorClient } from '../../../lib/client/clamator-client.js';
import { CLIENT_OPTION_NAMES, type ClamatorClientOptions } from '../../../lib/client/clamator-client.options.js';
import { ClamatorModule } from '../../../lib/module/clamator.module.js';
import type { ClamatorModuleAsyncOptions, ClamatorModuleOptions } from '../../../lib/module/clamator-module.options.js';
import { ClamatorOptionsError } from '../../../lib/options/option-rules.js';
import { ClamatorServer } from '../../../lib/server/clamator-server.js';
import { type ClamatorServerOptions, SERVER_OPTION_NAMES } from '../../../lib/server/clamator-server.options.js';
import { ClamatorStreamsService, type ClamatorStreamsOptions } from '../../../lib/streams/clamator-streams.service.js';
import { optionError } from './option-error.js';

/** Every way to configure something, with the owner its errors name. */
const owners: Array<[owner: string, configure: (options: Record<string, unknown>) => unknown]> = [
  ['ClamatorServer', (options) => new ClamatorServer(options as unknown as ClamatorServerOptions)],
  ['ClamatorClient', (options) => new ClamatorClient(options as unknown as ClamatorClientOptions)],
  ['ClamatorStreamsService', (options) => new ClamatorStreamsService(options as unknown as ClamatorStreamsOptions)],
  ['ClamatorModule.register', (options) => ClamatorModule.register({ name: 'X', ...options } as unknown as ClamatorModuleOptions)],
];

describe('unknown options', () => {
  describe.each(owners)('%s', (owner, configure) => {
    it('fail at construction, naming the unknown option and the nearest known one', () => {
      const error = optionError(() => configure({ keyPrefix: 'app', redisUrll: 'redis://localhost:6379' }), 'redisUrll', owner);
      expect(error.message).toBe(`${owner}: unknown option "redisUrll" (did you mean "redisUrl"?)`);
      expect(optionError(() => configure({ keyprefix: 'app' }), 'keyprefix', owner).message).toBe(
        `${owner}: unknown option "keyprefix" (did you mean "keyPrefix"?)`,
      );
    });

    it('list the known options when none is close', () => {
      const error = optionError(() => configure({ keyPrefix: 'app', timeout: 5 }), 'timeout', owner);
      expect(error.message).toMatch(new RegExp(`^${owner}: unknown option "timeout" \\(known options: keyPrefix, redis, redisUrl, redisOptions, .+\\)$`));
    });

    it('are reported even when an option is undefined, and an explicitly undefined known option is fine', () => {
      optionError(() => configure({ keyPrefix: 'app', bogus: undefined }), 'bogus', owner);
      expect(() => configure({ keyPrefix: 'app', redisUrl: undefined, redisOptions: undefined })).not.toThrow();
    });

    it('never look into redisOptions, which belong to ioredis', () => {
      expect(() => configure({ keyPrefix: 'app', redisOptions: { db: 1, lazyConnect: true, somethingIoredisKnows: 1 } })).not.toThrow();
    });
  });

  it('name the nearest server option: "concurency" -> "concurrency"', () => {
    expect(() => new ClamatorServer({ keyPrefix: 'x', concurency: 8 } as unknown as ClamatorServerOptions)).toThrow(
      new ClamatorOptionsError('ClamatorServer', 'concurency', '', undefined, 'ClamatorServer: unknown option "concurency" (did you mean "concurrency"?)'),
    );
    const error = optionError(() => new ClamatorServer({ keyPrefix: 'x', concurency: 8 } as never), 'concurency', 'ClamatorServer');
    expect(error.message).toBe('ClamatorServer: unknown option "concurency" (did you mean "concurrency"?)');
  });

  it('name options that belong to another owner as unknown: a client has no concurrency, a server no defaultTimeoutMs', () => {
    expect(optionError(() => new ClamatorClient({ keyPrefix: 'x', concurrency: 2 } as never), 'concurrency', 'ClamatorClient').message).toMatch(
      /^ClamatorClient: unknown option "concurrency" \(known options: .*defaultTimeoutMs/,
    );
    expect(optionError(() => new ClamatorServer({ keyPrefix: 'x', defaultTimeoutMs: 1 } as never), 'defaultTimeoutMs', 'ClamatorServer').message).toMatch(
      /^ClamatorServer: unknown option "defaultTimeoutMs"/,
    );
  });

  it('are checked before the other rules, so that a misspelt required option is named as such', () => {
    optionError(() => new ClamatorServer({ keyPerfix: 'x' } as never), 'keyPerfix', 'ClamatorServer');
    const error = optionError(() => ClamatorModule.register({ nmae: 'A', keyPrefix: 'x' } as never), 'nmae', 'ClamatorModule.register');
    expect(error.message).toContain('did you mean "name"?');
  });

  describe('every known option is accepted', () => {
    it('by the server and the client, connectTimeoutMs included', () => {
      const redis = new Redis({ lazyConnect: true });
      const everything = (names: Record<string, true>) =>
        Object.fromEntries(Object.keys(names).map((name) => [name, name === 'redis' ? redis : undefined]));
      expect(() => new ClamatorServer({ ...everything(SERVER_OPTION_NAMES), keyPrefix: 'x' } as ClamatorServerOptions)).not.toThrow();
      expect(() => new ClamatorClient({ ...everything(CLIENT_OPTION_NAMES), keyPrefix: 'x' } as ClamatorClientOptions)).not.toThrow();
      expect(() => new ClamatorServer({ keyPrefix: 'x', connectTimeoutMs: 2000 })).not.toThrow();
      expect(() => new ClamatorClient({ keyPrefix: 'x', connectTimeoutMs: 2000 })).not.toThrow();
      redis.disconnect();
    });

    it('by the streams service', () => {
      expect(
        () => new ClamatorStreamsService({ keyPrefix: 'x', redisUrl: 'redis://h:1', redisOptions: {}, replyStreamMaxLen: 5, replyStreamTtlMs: 5000, connectionName: 'n' }),
      ).not.toThrow();
    });
  });

  describe('ClamatorModule', () => {
    it('register() checks every client of a list and the shared options', () => {
      optionError(
        () => ClamatorModule.register([{ name: 'A', keyPrefix: 'a' }, { name: 'B', keyPrefix: 'b', defaultTimoutMs: 5 } as never]),
        'defaultTimoutMs',
        'ClamatorModule.register',
      );
      const error = optionError(() => ClamatorModule.register({ name: 'A', keyPrefix: 'a' }, { global: true } as never), 'global', 'ClamatorModule.register');
      expect(error.message).toContain('did you mean "isGlobal"?');
    });

    it('registerAsync() checks its own options: name, imports, useFactory, inject, useClass, useExisting, extraProviders, isGlobal', () => {
      const valid: ClamatorModuleAsyncOptions = { name: 'A', imports: [], useFactory: () => ({ keyPrefix: 'a' }), inject: [], extraProviders: [] };
      expect(() => ClamatorModule.registerAsync(valid)).not.toThrow();
      const error = optionError(
        () => ClamatorModule.registerAsync({ name: 'A', useFactroy: () => ({ keyPrefix: 'a' }) } as never),
        'useFactroy',
        'ClamatorModule.registerAsync',
      );
      expect(error.message).toBe('ClamatorModule.registerAsync: unknown option "useFactroy" (did you mean "useFactory"?)');
      // Client options belong in what the factory returns, not beside it.
      expect(optionError(() => ClamatorModule.registerAsync({ ...valid, keyPrefix: 'a' } as never), 'keyPrefix', 'ClamatorModule.registerAsync').message).toMatch(
        /known options: name, imports, useFactory, inject, useClass, useExisting, extraProviders, isGlobal\)$/,
      );
      optionError(() => ClamatorModule.registerAsync(valid, { isGlbal: true } as never), 'isGlbal', 'ClamatorModule.registerAsync');
    });

    it('registerAsync() refuses unknown options its factory returns, through ClamatorClient', async () => {
      const compiling = Test.createTestingModule({
        imports: [ClamatorModule.registerAsync({ name: 'A', useFactory: () => ({ keyPrefix: 'a', blokMs: 10 }) as ClamatorClientOptions })],
      }).compile();
      await expect(compiling).rejects.toThrow('ClamatorClient: unknown option "blokMs" (did you mean "blockMs"?)');
      await expect(compiling).rejects.toBeInstanceOf(ClamatorOptionsError);
    });
  });
});

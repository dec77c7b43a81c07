import { Injectable, Module, type FactoryProvider, type ValueProvider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClamatorClient, type ClamatorClientOptions, ClamatorModule, ClamatorOptionsError, type ClamatorOptionsFactory } from '../../../lib/index.js';
import type { ClamatorModuleAsyncOptions } from '../../../lib/module/clamator-module.options.js';
import { optionError } from '../options/option-error.js';

// What ClamatorModule checks at registration (no Redis: the clients connect on first use), and
// what it refuses at app init, each failing with a ClamatorOptionsError naming the option.

const REGISTER = 'ClamatorModule.register';
const ASYNC = 'ClamatorModule.registerAsync';

@Injectable()
class OptionsFactory implements ClamatorOptionsFactory {
  createClamatorOptions(): ClamatorClientOptions {
    return { keyPrefix: 'unit' };
  }
}

/** Has no createClamatorOptions(): what a wrong `useExisting` points at. */
@Injectable()
class NotAFactory {}

@Module({ providers: [OptionsFactory, NotAFactory], exports: [OptionsFactory, NotAFactory] })
class FactoriesModule {}

const factory = () => ({ keyPrefix: 'unit' });

describe('ClamatorModule registration', () => {
  describe('name', () => {
    it('is required, a non-empty string or a symbol, for both methods', () => {
      expect(optionError(() => ClamatorModule.register({ keyPrefix: 'p' } as never), 'name', REGISTER).message).toBe(
        `${REGISTER}: option "name" is required (a string or symbol), e.g. { name: 'ARITH', ... }; inject the client with @Inject('ARITH').`,
      );
      optionError(() => ClamatorModule.register({ name: '', keyPrefix: 'p' }), 'name', REGISTER);
      optionError(() => ClamatorModule.registerAsync({ useFactory: factory } as never), 'name', ASYNC);
      optionError(() => ClamatorModule.registerAsync({ name: 42, useFactory: factory } as never), 'name', ASYNC);
      optionError(() => ClamatorModule.registerAsync(undefined as never), 'name', ASYNC);
      expect(() => ClamatorModule.registerAsync({ name: Symbol('ARITH'), useFactory: factory })).not.toThrow();
    });

    it('is not given to two clients of one call', () => {
      const error = optionError(() => ClamatorModule.register([{ name: 'A', keyPrefix: 'a' }, { name: 'A', keyPrefix: 'b' }]), 'name', REGISTER);
      expect(error.message).toBe(`${REGISTER}: option "name" "A" is given to two clients of one call.`);
      optionError(() => ClamatorModule.registerAsync([{ name: 'A', useFactory: factory }, { name: 'A', useClass: OptionsFactory }]), 'name', ASYNC);
    });
  });

  describe('registerAsync: exactly one of useFactory, useClass, useExisting', () => {
    it('refuses none', () => {
      const error = optionError(() => ClamatorModule.registerAsync({ name: 'A', imports: [] }), 'useFactory', ASYNC);
      expect(error.message).toBe(
        `${ASYNC}: option "useFactory", "useClass" or "useExisting" is required for client "A": exactly one of them makes its options.`,
      );
      // Set to undefined counts as not given.
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useFactory: undefined, useClass: undefined }), 'useFactory', ASYNC);
    });

    it('refuses two or three, naming the second', () => {
      const error = optionError(() => ClamatorModule.registerAsync({ name: 'A', useFactory: factory, useClass: OptionsFactory }), 'useClass', ASYNC);
      expect(error.message).toBe(
        `${ASYNC}: option "useClass" cannot go with "useFactory" for client "A": exactly one of useFactory, useClass, useExisting makes its options.`,
      );
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useClass: OptionsFactory, useExisting: OptionsFactory }), 'useExisting', ASYNC);
      optionError(
        () => ClamatorModule.registerAsync({ name: 'A', useFactory: factory, useClass: OptionsFactory, useExisting: OptionsFactory }),
        'useClass',
        ASYNC,
      );
      // In an array, the faulty client is named.
      const second = optionError(
        () => ClamatorModule.registerAsync([{ name: 'A', useFactory: factory }, { name: 'B', useFactory: factory, useExisting: OptionsFactory }]),
        'useExisting',
        ASYNC,
      );
      expect(second.message).toContain('for client "B"');
    });

    it('refuses a useFactory that is not a function and a useClass / useExisting that is not a class', () => {
      expect(optionError(() => ClamatorModule.registerAsync({ name: 'A', useFactory: { keyPrefix: 'a' } } as never), 'useFactory', ASYNC).message).toBe(
        `${ASYNC}: option "useFactory" must be a function (client "A"), got object.`,
      );
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useClass: new OptionsFactory() } as never), 'useClass', ASYNC);
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useExisting: 'OptionsFactory' } as never), 'useExisting', ASYNC);
    });

    it('refuses inject beside useClass or useExisting, whose class injects through its constructor', () => {
      const error = optionError(() => ClamatorModule.registerAsync({ name: 'A', useClass: OptionsFactory, inject: [] }), 'inject', ASYNC);
      expect(error.message).toBe(`${ASYNC}: option "inject" goes only with useFactory (client "A"); a useClass class injects through its constructor.`);
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useExisting: OptionsFactory, inject: [NotAFactory] }), 'inject', ASYNC);
    });

    it('suggests the option meant for a misspelt one', () => {
      expect(optionError(() => ClamatorModule.registerAsync({ name: 'A', useClas: OptionsFactory } as never), 'useClas', ASYNC).message).toBe(
        `${ASYNC}: unknown option "useClas" (did you mean "useClass"?)`,
      );
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useExisting: OptionsFactory, isGlobl: true } as never), 'isGlobl', ASYNC);
    });
  });

  describe('isGlobal', () => {
    it('inside the options, as the second argument, or on any client of an array makes the module global', () => {
      expect(ClamatorModule.register({ name: 'A', keyPrefix: 'a' }).global).toBe(false);
      expect(ClamatorModule.register({ name: 'A', keyPrefix: 'a', isGlobal: true }).global).toBe(true);
      expect(ClamatorModule.register({ name: 'A', keyPrefix: 'a' }, { isGlobal: true }).global).toBe(true);
      expect(ClamatorModule.register([{ name: 'A', keyPrefix: 'a' }, { name: 'B', keyPrefix: 'b', isGlobal: true }]).global).toBe(true);
      expect(ClamatorModule.registerAsync({ name: 'A', useFactory: factory }).global).toBe(false);
      expect(ClamatorModule.registerAsync({ name: 'A', useFactory: factory, isGlobal: true }).global).toBe(true);
      expect(ClamatorModule.registerAsync({ name: 'A', useFactory: factory }, { isGlobal: true }).global).toBe(true);
      // Either way true is enough: false on the other side does not undo it.
      expect(ClamatorModule.registerAsync({ name: 'A', useFactory: factory, isGlobal: false }, { isGlobal: true }).global).toBe(true);
      expect(ClamatorModule.registerAsync({ name: 'A', useFactory: factory, isGlobal: true }, { isGlobal: false }).global).toBe(true);
    });

    it('is not passed to the client, and must be a boolean', () => {
      const module = ClamatorModule.register({ name: 'A', keyPrefix: 'a', isGlobal: true });
      expect((module.providers![0] as ValueProvider).useValue).toBeInstanceOf(ClamatorClient);
      expect(optionError(() => ClamatorModule.register({ name: 'A', keyPrefix: 'a', isGlobal: 'yes' } as never), 'isGlobal', REGISTER).message).toBe(
        `${REGISTER}: option "isGlobal" must be a boolean, got "yes".`,
      );
      optionError(() => ClamatorModule.registerAsync({ name: 'A', useFactory: factory }, { isGlobal: 1 } as never), 'isGlobal', ASYNC);
    });
  });

  it('exports the clients, not the factories behind them', () => {
    const module = ClamatorModule.registerAsync([
      { name: 'F', useFactory: factory },
      { name: 'C', useClass: OptionsFactory },
      { name: 'E', useExisting: OptionsFactory, imports: [FactoriesModule] },
    ]);
    expect((module.exports as FactoryProvider[]).map((provider) => provider.provide)).toEqual(['F', 'C', 'E']);
    expect(module.providers).toHaveLength(4);
    expect(module.imports).toEqual([FactoriesModule]);
  });

  describe('at app init', () => {
    const compile = (options: ClamatorModuleAsyncOptions) => Test.createTestingModule({ imports: [ClamatorModule.registerAsync(options)] }).compile();

    it('refuses a useExisting provider that has no createClamatorOptions()', async () => {
      const compiling = compile({ name: 'A', imports: [FactoriesModule], useExisting: NotAFactory as never });
      await expect(compiling).rejects.toBeInstanceOf(ClamatorOptionsError);
      await expect(compiling).rejects.toThrow(
        `${ASYNC}: option "useExisting" of client "A" must be a class with a createClamatorOptions() method (ClamatorOptionsFactory).`,
      );
    });

    it('refuses invalid or unknown options that a useClass factory returns, through ClamatorClient', async () => {
      @Injectable()
      class BadFactory implements ClamatorOptionsFactory {
        createClamatorOptions() {
          return { keyPrefix: 'a', connectTimeoutMs: 0 };
        }
      }
      @Injectable()
      class MisspeltFactory implements ClamatorOptionsFactory {
        async createClamatorOptions() {
          return { keyPrefix: 'a', defaultTimoutMs: 5 } as ClamatorClientOptions;
        }
      }
      await expect(compile({ name: 'A', useClass: BadFactory })).rejects.toThrow(/^ClamatorClient: option "connectTimeoutMs" must be an integer/);
      const compiling = compile({ name: 'A', useClass: MisspeltFactory });
      await expect(compiling).rejects.toBeInstanceOf(ClamatorOptionsError);
      await expect(compiling).rejects.toThrow('ClamatorClient: unknown option "defaultTimoutMs" (did you mean "defaultTimeoutMs"?)');
    });

    it('builds each client of a mixed array at init', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [ClamatorModule.registerAsync([{ name: 'C', useClass: OptionsFactory }, { name: 'E', imports: [FactoriesModule], useExisting: OptionsFactory }])],
      }).compile();
      expect(moduleRef.get('C')).toBeInstanceOf(ClamatorClient);
      expect(moduleRef.get('E')).toBeInstanceOf(ClamatorClient);
      await moduleRef.close();
    });
  });
});

import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { ClamatorClient } from '../client/clamator-client.js';
import { OptionRules } from '../options/option-rules.js';
import {
  type ClamatorModuleAsyncOptions,
  type ClamatorModuleGlobalOptions,
  type ClamatorModuleOptions,
  MODULE_ASYNC_OPTION_NAMES,
  MODULE_GLOBAL_OPTION_NAMES,
  MODULE_OPTION_NAMES,
} from './clamator-module.options.js';

function assertName(name: unknown, method: string): void {
  if ((typeof name !== 'string' || name.length === 0) && typeof name !== 'symbol') {
    throw new TypeError(
      `ClamatorModule.${method}: option "name" is required (a string or symbol), e.g. { name: 'ARITH', keyPrefix: 'myapp' }; ` +
        `inject the client with @Inject('ARITH').`,
    );
  }
}

/**
 * Registers `ClamatorClient`s as injectable providers, each under its `name`. Clients connect on
 * first use and close when the application shuts down.
 *
 * ```ts
 * @Module({ imports: [ClamatorModule.register({ name: 'ARITH', keyPrefix: 'myapp' })] })
 * ```
 */
@Module({})
export class ClamatorModule {
  /** Registers one or more clients with static options. */
  static register(
    clients: ClamatorModuleOptions | ClamatorModuleOptions[],
    globalOptions: ClamatorModuleGlobalOptions = {},
  ): DynamicModule {
    const rules = new OptionRules('ClamatorModule.register');
    rules.onlyKnown(globalOptions, MODULE_GLOBAL_OPTION_NAMES);
    const { isGlobal = false } = globalOptions;
    const list = Array.isArray(clients) ? clients : [clients];
    const providers: Provider[] = list.map((registration) => {
      // Before the name check, so that a misspelt `name` is reported as such.
      rules.onlyKnown(registration, MODULE_OPTION_NAMES);
      const { name, ...options } = registration;
      assertName(name, 'register');
      // Built at registration so that invalid options fail at startup, naming the option.
      const client = new ClamatorClient(options);
      return { provide: name, useValue: client };
    });
    return { module: ClamatorModule, global: isGlobal, providers, exports: providers };
  }

  /** Registers one or more clients whose options come from a factory (e.g. from `ConfigService`). */
  static registerAsync(
    clients: ClamatorModuleAsyncOptions | ClamatorModuleAsyncOptions[],
    globalOptions: ClamatorModuleGlobalOptions = {},
  ): DynamicModule {
    const rules = new OptionRules('ClamatorModule.registerAsync');
    rules.onlyKnown(globalOptions, MODULE_GLOBAL_OPTION_NAMES);
    const { isGlobal = false } = globalOptions;
    const list = Array.isArray(clients) ? clients : [clients];
    const clientProviders: Provider[] = list.map((registration) => {
      rules.onlyKnown(registration, MODULE_ASYNC_OPTION_NAMES);
      const { name, useFactory, inject = [] } = registration;
      assertName(name, 'registerAsync');
      return {
        provide: name,
        useFactory: async (...args: unknown[]) => new ClamatorClient(await useFactory(...args)),
        inject,
      };
    });
    return {
      module: ClamatorModule,
      global: isGlobal,
      imports: list.flatMap((client) => client.imports ?? []),
      providers: [...list.flatMap((client) => client.extraProviders ?? []), ...clientProviders],
      exports: clientProviders,
    };
  }
}

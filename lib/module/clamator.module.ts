import { type DynamicModule, Module } from '@nestjs/common';
import { asyncClientParts, staticClientParts } from './clamator-module.providers.js';
import type { ClamatorModuleAsyncOptions, ClamatorModuleGlobalOptions, ClamatorModuleOptions } from './clamator-module.options.js';

/**
 * Registers `ClamatorClient`s as injectable providers, each under its `name`, the way Nest's
 * configurable modules are registered. Clients connect on first use and close when the application
 * shuts down (their `onApplicationShutdown`).
 *
 * ```ts
 * @Module({ imports: [ClamatorModule.register({ name: 'ARITH', keyPrefix: 'myapp', isGlobal: true })] })
 * ```
 */
@Module({})
export class ClamatorModule {
  /**
   * Registers one or more clients with static options. Each client is built here, so that invalid
   * options fail where the module is imported, naming the option.
   *
   * @param clients - One client or several (each with its own `name`).
   * @param globalOptions - `{ isGlobal }`, as before it could be given inside the options; `true`
   *   here or on any client makes the call's clients global. Default: `{}`.
   */
  static register(clients: ClamatorModuleOptions | ClamatorModuleOptions[], globalOptions: ClamatorModuleGlobalOptions = {}): DynamicModule {
    const { providers, exports, global } = staticClientParts(clients, globalOptions);
    return { module: ClamatorModule, global, providers, exports };
  }

  /**
   * Registers one or more clients whose options are made at application init by `useFactory`
   * (with `inject`), `useClass` or `useExisting` (a `ClamatorOptionsFactory`), e.g. from
   * `ConfigService`. The registration is checked here; the options the factory returns are checked
   * at init by `ClamatorClient`, naming the option.
   *
   * @param clients - One client or several, each with its own way to make its options.
   * @param globalOptions - `{ isGlobal }`, as before it could be given inside the options; `true`
   *   here or on any client makes the call's clients global. Default: `{}`.
   */
  static registerAsync(
    clients: ClamatorModuleAsyncOptions | ClamatorModuleAsyncOptions[],
    globalOptions: ClamatorModuleGlobalOptions = {},
  ): DynamicModule {
    const { imports, providers, exports, global } = asyncClientParts(clients, globalOptions);
    return { module: ClamatorModule, global, imports, providers, exports };
  }
}

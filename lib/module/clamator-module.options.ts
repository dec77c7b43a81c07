import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { CLIENT_OPTION_NAMES, type ClamatorClientOptions } from '../client/clamator-client.options.js';

/** Injection token of a registered client: the `name` you pass, used with `@Inject(name)`. */
export type ClamatorClientToken = string | symbol;

/** One client registered with `ClamatorModule.register`. */
export interface ClamatorModuleOptions extends ClamatorClientOptions {
  /** The token the client is injected by (`@Inject('ARITH')`). Required. */
  name: ClamatorClientToken;
}

/** Every option of `ClamatorModuleOptions`, for refusing unknown ones; the type checker fails when one is missing. */
export const MODULE_OPTION_NAMES = { ...CLIENT_OPTION_NAMES, name: true } as const satisfies Record<keyof ClamatorModuleOptions, true>;

/** One client registered with `ClamatorModule.registerAsync`, its options made by a factory. */
export interface ClamatorModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** The token the client is injected by. Required. */
  name: ClamatorClientToken;
  /** Makes the client options; may be async. */
  useFactory: (...args: any[]) => ClamatorClientOptions | Promise<ClamatorClientOptions>;
  /** Providers passed to `useFactory`, in order. Default: none. */
  inject?: FactoryProvider['inject'];
  /** Extra providers the factory needs (beyond those of `imports`). Default: none. */
  extraProviders?: ModuleMetadata['providers'];
}

/**
 * Every option of `ClamatorModuleAsyncOptions` (the options its factory returns are checked by
 * `ClamatorClient`); the type checker fails when one is missing.
 */
export const MODULE_ASYNC_OPTION_NAMES = {
  name: true,
  imports: true,
  useFactory: true,
  inject: true,
  extraProviders: true,
} as const satisfies Record<keyof ClamatorModuleAsyncOptions, true>;

/** Options shared by a whole `register` / `registerAsync` call. */
export interface ClamatorModuleGlobalOptions {
  /** Make the clients injectable in every module. Default: false. */
  isGlobal?: boolean;
}

/** Every option of `ClamatorModuleGlobalOptions`; the type checker fails when one is missing. */
export const MODULE_GLOBAL_OPTION_NAMES = { isGlobal: true } as const satisfies Record<keyof ClamatorModuleGlobalOptions, true>;

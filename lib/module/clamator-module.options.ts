import type { FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';
import { CLIENT_OPTION_NAMES, type ClamatorClientOptions } from '../client/clamator-client.options.js';

/** Injection token of a registered client: the `name` you pass, used with `@Inject(name)`. */
export type ClamatorClientToken = string | symbol;

/**
 * Options shared by a whole `register` / `registerAsync` call. Accepted inside each client's options
 * (as Nest's configurable modules take them) and, for existing code, as the call's second argument.
 */
export interface ClamatorModuleGlobalOptions {
  /**
   * Make the clients injectable in every module, without importing `ClamatorModule` there. One
   * call registers one module, so `true` on any client of the call, or in the second argument,
   * makes every client of that call global. Default: false.
   */
  isGlobal?: boolean;
}

/** Every option of `ClamatorModuleGlobalOptions`; the type checker fails when one is missing. */
export const MODULE_GLOBAL_OPTION_NAMES = { isGlobal: true } as const satisfies Record<keyof ClamatorModuleGlobalOptions, true>;

/** One client registered with `ClamatorModule.register`: its client options, its `name`, and `isGlobal`. */
export interface ClamatorModuleOptions extends ClamatorClientOptions, ClamatorModuleGlobalOptions {
  /** The token the client is injected by (`@Inject('ARITH')`). Required. */
  name: ClamatorClientToken;
}

/** Every option of `ClamatorModuleOptions`, for refusing unknown ones; the type checker fails when one is missing. */
export const MODULE_OPTION_NAMES = {
  ...CLIENT_OPTION_NAMES,
  name: true,
  ...MODULE_GLOBAL_OPTION_NAMES,
} as const satisfies Record<keyof ClamatorModuleOptions, true>;

/**
 * Makes a client's options, for `registerAsync({ useClass })` and `registerAsync({ useExisting })`.
 * Nest instantiates (`useClass`) or finds (`useExisting`) the class, so its constructor can inject
 * providers such as `ConfigService`.
 */
export interface ClamatorOptionsFactory {
  /** The options of the client; may be async. They are validated as `new ClamatorClient(options)` does. */
  createClamatorOptions(): ClamatorClientOptions | Promise<ClamatorClientOptions>;
}

/**
 * One client registered with `ClamatorModule.registerAsync`, its options made at application init
 * by exactly one of `useFactory`, `useClass` or `useExisting`, as with Nest's configurable modules.
 */
export interface ClamatorModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'>, ClamatorModuleGlobalOptions {
  /** The token the client is injected by. Required. */
  name: ClamatorClientToken;
  /** Makes the client options from the providers of `inject`; may be async. */
  useFactory?: (...args: any[]) => ClamatorClientOptions | Promise<ClamatorClientOptions>;
  /** Providers passed to `useFactory`, in order; only with `useFactory`. Default: none. */
  inject?: FactoryProvider['inject'];
  /** A class Nest instantiates for this client (its constructor may inject providers); its `createClamatorOptions()` makes the options. */
  useClass?: Type<ClamatorOptionsFactory>;
  /** A provider already in scope (from `imports` or a global module) whose `createClamatorOptions()` makes the options. */
  useExisting?: Type<ClamatorOptionsFactory>;
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
  useClass: true,
  useExisting: true,
  extraProviders: true,
  ...MODULE_GLOBAL_OPTION_NAMES,
} as const satisfies Record<keyof ClamatorModuleAsyncOptions, true>;

/** The ways `registerAsync` can make a client's options; exactly one is given. */
export const OPTIONS_SOURCES = ['useFactory', 'useClass', 'useExisting'] as const;

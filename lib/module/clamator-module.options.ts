import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { ClamatorClientOptions } from '../client/clamator-client.options.js';

/** Injection token of a registered client: the `name` you pass, used with `@Inject(name)`. */
export type ClamatorClientToken = string | symbol;

/** One client registered with `ClamatorModule.register`. */
export interface ClamatorModuleOptions extends ClamatorClientOptions {
  /** The token the client is injected by (`@Inject('ARITH')`). Required. */
  name: ClamatorClientToken;
}

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

/** Options shared by a whole `register` / `registerAsync` call. */
export interface ClamatorModuleGlobalOptions {
  /** Make the clients injectable in every module. Default: false. */
  isGlobal?: boolean;
}

/**
 * Checks the options of one `ClamatorModule.register` / `registerAsync` call and turns them into
 * providers. Everything that can be checked without Nest is checked at registration, so that a
 * mistake fails where the module is imported, naming the option.
 */
import type { Provider } from '@nestjs/common';
import { ClamatorClient } from '../client/clamator-client.js';
import type { ClamatorClientOptions } from '../client/clamator-client.options.js';
import { ClamatorOptionsError, type KnownOptionNames, OptionRules } from '../options/option-rules.js';
import {
  type ClamatorClientToken,
  type ClamatorModuleAsyncOptions,
  type ClamatorModuleGlobalOptions,
  type ClamatorModuleOptions,
  type ClamatorOptionsFactory,
  MODULE_ASYNC_OPTION_NAMES,
  MODULE_GLOBAL_OPTION_NAMES,
  MODULE_OPTION_NAMES,
  OPTIONS_SOURCES,
} from './clamator-module.options.js';

/** What one call registers: the parts of its `DynamicModule`. */
export interface ClamatorModuleParts {
  /** Modules the factories need (`registerAsync` only). */
  readonly imports: NonNullable<ClamatorModuleAsyncOptions['imports']>;
  /** The clients, their options factories and the `extraProviders`. */
  readonly providers: Provider[];
  /** The client providers only: the factories behind them stay inside the module. */
  readonly exports: Provider[];
  /** Whether `isGlobal` was true anywhere in the call. */
  readonly global: boolean;
}

/** One of `useFactory`, `useClass`, `useExisting`. */
type OptionsSource = (typeof OPTIONS_SOURCES)[number];

function describeToken(name: ClamatorClientToken): string {
  return typeof name === 'symbol' ? name.toString() : JSON.stringify(name);
}

/** The checks of one call; remembers the names seen and whether the call is global. */
class RegistrationRules extends OptionRules {
  private readonly names = new Set<ClamatorClientToken>();
  /** True once `isGlobal` was true in the second argument or on any client. */
  global = false;

  /** Checks the second argument (`{ isGlobal }`). */
  globalOptions(globalOptions: ClamatorModuleGlobalOptions): void {
    this.onlyKnown(globalOptions, MODULE_GLOBAL_OPTION_NAMES);
    this.isGlobal(globalOptions?.isGlobal);
  }

  /** Checks the keys, `name` and `isGlobal` of one client; returns its name. */
  registration(registration: unknown, known: KnownOptionNames): ClamatorClientToken {
    // Before the name check, so that a misspelt `name` is reported as such.
    this.onlyKnown(registration, known);
    const { name, isGlobal } = (registration ?? {}) as { name?: unknown; isGlobal?: unknown };
    if ((typeof name !== 'string' || name.length === 0) && typeof name !== 'symbol') {
      throw this.error(
        'name',
        name,
        `option "name" is required (a string or symbol), e.g. { name: 'ARITH', ... }; inject the client with @Inject('ARITH').`,
      );
    }
    // Nest would keep the last provider of a token in silence, leaving the first client unreachable.
    if (this.names.has(name)) throw this.error('name', name, `option "name" ${describeToken(name)} is given to two clients of one call.`);
    this.names.add(name);
    this.isGlobal(isGlobal);
    return name;
  }

  /** The one way `registration` makes its options; `inject` only with `useFactory`. */
  optionsSource(name: ClamatorClientToken, registration: ClamatorModuleAsyncOptions): OptionsSource {
    const client = describeToken(name);
    // An option set to undefined counts as not given, as everywhere else.
    const given = OPTIONS_SOURCES.filter((source) => registration[source] !== undefined);
    if (given.length === 0) {
      throw this.error(
        'useFactory',
        undefined,
        `option "useFactory", "useClass" or "useExisting" is required for client ${client}: exactly one of them makes its options.`,
      );
    }
    const [source, extra] = given;
    if (extra !== undefined) {
      throw this.error(
        extra,
        undefined,
        `option "${extra}" cannot go with "${source}" for client ${client}: exactly one of useFactory, useClass, useExisting makes its options.`,
      );
    }
    const value = registration[source];
    if (typeof value !== 'function') {
      throw new ClamatorOptionsError(this.owner, source, `must be ${source === 'useFactory' ? 'a function' : 'a class'} (client ${client})`, value);
    }
    if (source !== 'useFactory' && registration.inject !== undefined) {
      throw this.error('inject', registration.inject, `option "inject" goes only with useFactory (client ${client}); a ${source} class injects through its constructor.`);
    }
    return source;
  }

  private isGlobal(value: unknown): void {
    if (value !== undefined && typeof value !== 'boolean') throw new ClamatorOptionsError(this.owner, 'isGlobal', 'must be a boolean', value);
    this.global ||= value === true;
  }

  private error(option: string, value: unknown, message: string): ClamatorOptionsError {
    return new ClamatorOptionsError(this.owner, option, '', value, `${this.owner}: ${message}`);
  }
}

function asList<T>(clients: T | T[]): T[] {
  return Array.isArray(clients) ? clients : [clients];
}

/** The parts of `register`: each client is built at once, so that invalid options fail at registration. */
export function staticClientParts(
  clients: ClamatorModuleOptions | ClamatorModuleOptions[],
  globalOptions: ClamatorModuleGlobalOptions,
): ClamatorModuleParts {
  const rules = new RegistrationRules('ClamatorModule.register');
  rules.globalOptions(globalOptions);
  const providers: Provider[] = asList(clients).map((registration) => {
    const name = rules.registration(registration, MODULE_OPTION_NAMES);
    const { name: _name, isGlobal: _isGlobal, ...options } = registration;
    return { provide: name, useValue: new ClamatorClient(options) };
  });
  return { imports: [], providers, exports: providers, global: rules.global };
}

/**
 * The parts of `registerAsync`: per client, a provider that builds the client from the options its
 * factory makes (a factory provider's instance gets its lifecycle hooks, so the client still closes
 * on shutdown), plus the factory class itself for `useClass`.
 */
export function asyncClientParts(
  clients: ClamatorModuleAsyncOptions | ClamatorModuleAsyncOptions[],
  globalOptions: ClamatorModuleGlobalOptions,
): ClamatorModuleParts {
  const rules = new RegistrationRules('ClamatorModule.registerAsync');
  rules.globalOptions(globalOptions);
  const list = asList(clients);
  const factories: Provider[] = [];
  const exports: Provider[] = [];
  for (const registration of list) {
    const name = rules.registration(registration, MODULE_ASYNC_OPTION_NAMES);
    const source = rules.optionsSource(name, registration);
    if (source === 'useFactory') {
      const { useFactory, inject = [] } = registration as ClamatorModuleAsyncOptions & Required<Pick<ClamatorModuleAsyncOptions, 'useFactory'>>;
      exports.push({ provide: name, useFactory: async (...args: unknown[]) => new ClamatorClient(await useFactory(...args)), inject });
      continue;
    }
    const factoryClass = registration[source]!;
    // For useClass, a token of its own per client rather than the class (as Nest's builder uses):
    // two clients may share a factory class, and an app's own provider of that class is not shadowed.
    const factoryToken = source === 'useClass' ? Symbol(`ClamatorOptionsFactory of ${describeToken(name)}`) : factoryClass;
    if (source === 'useClass') factories.push({ provide: factoryToken, useClass: factoryClass });
    exports.push({
      provide: name,
      useFactory: async (factory: ClamatorOptionsFactory) => new ClamatorClient(await createOptions(factory, source, name)),
      inject: [factoryToken],
    });
  }
  return {
    imports: list.flatMap((registration) => registration.imports ?? []),
    providers: [...list.flatMap((registration) => registration.extraProviders ?? []), ...factories, ...exports],
    exports,
    global: rules.global,
  };
}

/** Calls the factory's `createClamatorOptions()`, refusing (at app init) a provider that has none. */
function createOptions(
  factory: ClamatorOptionsFactory,
  source: Exclude<OptionsSource, 'useFactory'>,
  name: ClamatorClientToken,
): ClamatorClientOptions | Promise<ClamatorClientOptions> {
  if (typeof factory?.createClamatorOptions !== 'function') {
    const owner = 'ClamatorModule.registerAsync';
    throw new ClamatorOptionsError(
      owner,
      source,
      '',
      factory,
      `${owner}: option "${source}" of client ${describeToken(name)} must be a class with a createClamatorOptions() method (ClamatorOptionsFactory).`,
    );
  }
  return factory.createClamatorOptions();
}

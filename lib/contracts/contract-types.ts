import type { Observable } from 'rxjs';
import type { ClamatorCallOptions, ClamatorNotifyOptions } from '../client/clamator-client.js';
import type { ClamatorContext } from '../server/clamator.context.js';
import type { ClamatorContract, SchemaInput, SchemaType } from './contract.js';

/** The entries of a contract, by method name. */
type MethodsOf<C extends ClamatorContract> = C['methods'];

/** What a handler may return for a value of type `T`: the value, a promise of it, or an observable whose last value it is. */
export type HandlerReturn<T> = T | Promise<T> | Observable<T>;

/** The params type of a contract entry, as its handler receives them (checked and parsed). */
export type ContractParams<E> = E extends { readonly params: infer P } ? SchemaType<P> : never;

/** The result type of a contract entry (`void` for a notification). */
export type ContractResult<E> = E extends { readonly notification: true }
  ? void
  : E extends { readonly result: infer R }
    ? SchemaType<R>
    : never;

/**
 * The methods a `@ClamatorService(contract)` class implements: one per contract entry, taking the
 * entry's params (and the `ClamatorContext`, which a handler may leave out) and returning its
 * result (nothing for a notification), directly, as a promise or as an observable.
 *
 * ```ts
 * @ClamatorService(arith)
 * export class ArithController implements ContractHandlers<typeof arith> { ... }
 * ```
 */
export type ContractHandlers<C extends ClamatorContract> = {
  [K in keyof MethodsOf<C>]: (
    params: ContractParams<MethodsOf<C>[K]>,
    context: ClamatorContext,
  ) => HandlerReturn<ContractResult<MethodsOf<C>[K]>>;
};

/**
 * The typed client `ClamatorClient.for(contract)` returns: one function per contract entry. A
 * method resolves with its checked result; a notification resolves once Redis queued it.
 */
export type ContractClient<C extends ClamatorContract> = {
  readonly [K in keyof MethodsOf<C>]: MethodsOf<C>[K] extends { readonly notification: true }
    ? (...args: CallArguments<ContractCallParams<MethodsOf<C>[K]>, ClamatorNotifyOptions>) => Promise<void>
    : (...args: CallArguments<ContractCallParams<MethodsOf<C>[K]>, ClamatorCallOptions>) => Promise<ContractResult<MethodsOf<C>[K]>>;
};

/** The params, which may be left out when every field is optional (missing params mean `{}`), then the options. */
type CallArguments<P, O> = {} extends P ? [params?: P, options?: O] : [params: P, options?: O];

/** The params a caller passes for a contract entry: any object of the params class's shape, or the zod schema's input. */
export type ContractCallParams<E> = E extends { readonly params: infer P } ? SchemaInput<P> : never;

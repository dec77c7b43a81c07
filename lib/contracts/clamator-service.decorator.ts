import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CLAMATOR_TRANSPORT } from '../protocol/constants.js';
import { ClamatorRpcError, ERROR_MESSAGES, ErrorCode } from '../protocol/errors.js';
import { assertContract, type ClamatorContract, ClamatorContractError, isNotificationEntry } from './contract.js';
import { ContractParamsPipe } from './contract-params.pipe.js';

/**
 * The handler extra (`@MessagePattern(pattern, transport, extras)`) that marks the stand-in of a
 * contract method the class does not implement: `ClamatorServer.listen()` fails naming it.
 */
export const UNIMPLEMENTED_CONTRACT_METHOD = 'clamatorUnimplementedContractMethod';

// Nest's own values, the same in Nest 11 and 12, spelled out here because deep imports resolve to
// different files under the two majors: `@nestjs/common/constants`' ROUTE_ARGS_METADATA, and
// `RpcParamtype.PAYLOAD`, which `@nestjs/microservices` does not export.
const ROUTE_ARGS_METADATA = '__routeArguments__';
const PAYLOAD_PARAMTYPE = 3;

interface RouteArg {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

type Prototype = Record<string, unknown>;

/** The method `name` of the class, own or inherited; `undefined` when there is none. */
function findMethod(prototype: object, name: string): PropertyDescriptor | undefined {
  for (let proto: object | null = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) return typeof descriptor.value === 'function' ? descriptor : undefined;
  }
  return undefined;
}

/**
 * Gives the handler its checked params as first argument and its `ClamatorContext` as second:
 * adds the params pipe to an `@Payload()` already there (after its own pipes), or puts one, and
 * puts `@Ctx()` on the second parameter unless something else is declared there.
 */
function decorateParameters(target: Function, name: string, route: string, pipe: ContractParamsPipe): void {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target, name) ?? {}) as Record<string, RouteArg>;
  const byIndex = new Map(Object.entries(args).map(([key, arg]) => [arg.index, key]));
  const first = byIndex.get(0);
  if (first === undefined) {
    Payload(pipe)(target.prototype, name, 0);
  } else if (first === `${PAYLOAD_PARAMTYPE}:0` && args[first].data === undefined) {
    const payload = args[first];
    Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...args, [first]: { ...payload, pipes: [...(payload.pipes ?? []), pipe] } }, target, name);
  } else {
    throw new ClamatorContractError(
      `@ClamatorService: ${target.name}.${name} serves ${route}, whose params come as the first parameter; ` +
        `it has another decorator there (use @Payload() without a property, or none, and @Ctx() as the second parameter).`,
    );
  }
  if (!byIndex.has(1)) Ctx()(target.prototype, name, 1);
}

/** Puts a stand-in where the class lacks a contract method, so that `listen()` can name it. */
function standIn(prototype: Prototype, name: string, route: string): PropertyDescriptor {
  const unimplemented = function (): never {
    throw new ClamatorRpcError(ErrorCode.MethodNotFound, ERROR_MESSAGES[ErrorCode.MethodNotFound], { method: route });
  };
  Object.defineProperty(unimplemented, 'name', { value: name });
  const descriptor: PropertyDescriptor = { value: unimplemented, writable: true, configurable: true, enumerable: false };
  Object.defineProperty(prototype, name, descriptor);
  return descriptor;
}

/**
 * Makes the class a Nest controller that serves every entry of `contract` as `<service>.<method>`,
 * on clamator transports only: each method of the contract becomes a `@MessagePattern` handler,
 * each notification an `@EventPattern` one. The params reach the handler as an instance of the
 * params class (or zod's parsed value), checked first: fields it does not declare are refused,
 * and params that do not fit are answered -32602 with `data.errors` (no `ValidationPipe` or filter
 * needed). Guards, interceptors and pipes apply as to any handler; the `ClamatorContext` comes as
 * the second parameter (`@Ctx()` may be written there, or left out). A contract method the class
 * lacks makes `listen()` fail, naming it.
 *
 * ```ts
 * @ClamatorService(arith)
 * export class ArithController implements ContractHandlers<typeof arith> {
 *   add({ a, b }: AddParams): AddResult { return { sum: a + b }; }
 * }
 * ```
 *
 * @throws ClamatorContractError for a contract that breaks the naming rules, or a handler whose
 * first parameter is taken by another decorator than `@Payload()`.
 */
export function ClamatorService(contract: ClamatorContract): ClassDecorator {
  assertContract(contract);
  return (target) => {
    Controller()(target);
    const prototype = target.prototype as Prototype;
    for (const [name, entry] of Object.entries(contract.methods)) {
      const route = `${contract.service}.${name}`;
      let descriptor = findMethod(prototype, name);
      const extras: Record<string, unknown> = {};
      if (!descriptor) {
        descriptor = standIn(prototype, name, route);
        extras[UNIMPLEMENTED_CONTRACT_METHOD] = target.name;
      } else {
        decorateParameters(target, name, route, new ContractParamsPipe(route, entry.params));
      }
      const pattern = isNotificationEntry(entry)
        ? EventPattern(route, CLAMATOR_TRANSPORT, extras)
        : MessagePattern(route, CLAMATOR_TRANSPORT, extras);
      pattern(prototype, name, descriptor);
    }
  };
}

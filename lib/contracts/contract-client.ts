import type { ClamatorCallOptions, ClamatorNotifyOptions } from '../client/clamator-client.js';
import { ClamatorRpcError, ERROR_MESSAGES, ErrorCode } from '../protocol/errors.js';
import { assertContract, type ClamatorContract, type ContractEntry, isNotificationEntry } from './contract.js';
import type { ContractClient } from './contract-types.js';
import { checkSchema, type SchemaCheck, schemaName } from './schema-check.js';

/** The part of `ClamatorClient` a contract client sends through. */
export interface ContractTransport {
  call<T>(service: string, method: string, params?: object, options?: ClamatorCallOptions): Promise<T>;
  notify(service: string, method: string, params?: object, options?: ClamatorNotifyOptions): Promise<void>;
}

function invalidParams(check: SchemaCheck & { ok: false }): ClamatorRpcError {
  return new ClamatorRpcError(ErrorCode.InvalidParams, ERROR_MESSAGES[ErrorCode.InvalidParams], { errors: check.errors });
}

/** Checks params before anything is sent; the params are sent as the caller gave them once they fit. */
async function checkedParams(entry: ContractEntry, params: unknown): Promise<object> {
  const value = params ?? {};
  const check = await checkSchema(entry.params, value, 'params');
  if (!check.ok) throw invalidParams(check);
  return value as object;
}

function methodOf(transport: ContractTransport, service: string, name: string, entry: ContractEntry) {
  const route = `${service}.${name}`;
  if (isNotificationEntry(entry)) {
    return async (params: unknown, options?: ClamatorNotifyOptions): Promise<void> => {
      await transport.notify(service, name, await checkedParams(entry, params), options);
    };
  }
  const { result } = entry;
  return async (params: unknown, options?: ClamatorCallOptions): Promise<unknown> => {
    const reply = await transport.call<unknown>(service, name, await checkedParams(entry, params), options);
    const check = await checkSchema(result, reply, 'result');
    if (check.ok) return check.value;
    throw new ClamatorRpcError(ErrorCode.InternalError, ERROR_MESSAGES[ErrorCode.InternalError], {
      reason: `the result of ${route} does not match the contract's result (${schemaName(result)})`,
      errors: check.errors,
    });
  };
}

/**
 * Builds the typed client of `contract` over `transport`: one function per entry, which checks the
 * params (rejecting with -32602 and `data.errors`, nothing sent), sends them, and for a method
 * checks the reply against the result schema (rejecting with -32603 and `data.reason` when it does
 * not fit) and resolves with the result's instance or zod's parsed value.
 *
 * @throws ClamatorContractError for an object that is not a valid contract.
 */
export function createContractClient<C extends ClamatorContract>(transport: ContractTransport, contract: C): ContractClient<C> {
  assertContract(contract);
  const client: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(contract.methods)) {
    client[name] = methodOf(transport, contract.service, name, entry);
  }
  return Object.freeze(client) as ContractClient<C>;
}

import { METHOD_NAME_PATTERN, SERVICE_NAME_PATTERN } from '../protocol/names.js';

/** A class whose instances are a method's params or result, described by class-validator decorators. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ContractClass<T = any> = new (...args: any[]) => T;

/**
 * A zod schema, as clamator's own TypeScript contracts carry them (zod 3.25+ or 4). Only its shape is
 * relied on, so that zod stays an optional peer.
 */
export interface ContractZodSchema<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: unknown };
  /** zod 3 and zod 4 both declare the parsed type here. */
  readonly _output: T;
}

/** What describes a params or result payload: a class-validator class or a zod schema. */
export type ContractSchema = ContractClass | ContractZodSchema;

/** The TypeScript type a schema describes: the class's instances, or the zod schema's output. */
export type SchemaType<S> = S extends ContractClass<infer T> ? T : S extends { readonly _output: infer T } ? T : never;

/**
 * What a caller may pass where a schema is expected: the class's instances (any object of their
 * shape), or the zod schema's input (which differs from its output where the schema has defaults
 * or transforms).
 */
export type SchemaInput<S> = S extends ContractClass<infer T> ? T : S extends { readonly _input: infer T } ? T : SchemaType<S>;

/** A contract entry that is a request: it has a result. */
export interface ContractMethod<P extends ContractSchema = ContractSchema, R extends ContractSchema = ContractSchema> {
  readonly params: P;
  readonly result: R;
  /** Absent, or `false` as clamator's own `defineMethod` types it. */
  readonly notification?: false;
}

/** A contract entry that is a notification: no result, no reply. */
export interface ContractNotification<P extends ContractSchema = ContractSchema> {
  readonly params: P;
  readonly notification: true;
  readonly result?: undefined;
}

/** One entry of a contract. */
export type ContractEntry = ContractMethod | ContractNotification;

/**
 * A service's contract, in the shape clamator's own `defineContract` returns:
 * `{ service, methods: { name: { params, result } | { params, notification: true } } }`.
 */
export interface ClamatorContract<
  S extends string = string,
  M extends Record<string, ContractEntry> = Record<string, ContractEntry>,
> {
  readonly service: S;
  readonly methods: M;
}

/** Describes a request: its params and its result. */
export function method<P extends ContractSchema, R extends ContractSchema>(spec: {
  params: P;
  result: R;
}): ContractMethod<P, R> {
  return { params: spec.params, result: spec.result };
}

/** Describes a notification: params only, no reply. */
export function notification<P extends ContractSchema>(spec: { params: P }): ContractNotification<P> {
  return { params: spec.params, notification: true };
}

/** Raised when a contract breaks the naming rules or has an entry of no known kind. */
export class ClamatorContractError extends Error {
  override readonly name = 'ClamatorContractError';
}

/**
 * Defines a service's contract. Checks the names against PROTOCOL.md's rules and each entry's kind:
 * a method needs a `result`, a notification must not have one.
 *
 * @throws ClamatorContractError naming the service or method at fault.
 */
export function defineContract<S extends string, M extends Record<string, ContractEntry>>(
  service: S,
  methods: M,
): ClamatorContract<S, M> {
  assertContract({ service, methods });
  return Object.freeze({ service, methods: Object.freeze({ ...methods }) }) as ClamatorContract<S, M>;
}

/** Checks an object that claims to be a contract (ours or one from clamator's zod packages). */
export function assertContract(contract: unknown): asserts contract is ClamatorContract {
  if (contract === null || typeof contract !== 'object') {
    throw new ClamatorContractError(`A contract must be an object { service, methods }, got ${describe(contract)}.`);
  }
  const { service, methods } = contract as Record<string, unknown>;
  if (typeof service !== 'string' || !SERVICE_NAME_PATTERN.test(service)) {
    throw new ClamatorContractError(
      `Contract service name ${JSON.stringify(service)} must be a string matching ${SERVICE_NAME_PATTERN}.`,
    );
  }
  if (methods === null || typeof methods !== 'object') {
    throw new ClamatorContractError(`Contract "${service}" has no methods object.`);
  }
  for (const [name, entry] of Object.entries(methods)) {
    const where = `Contract "${service}", method "${name}"`;
    if (!METHOD_NAME_PATTERN.test(name)) {
      throw new ClamatorContractError(`${where}: the name must match ${METHOD_NAME_PATTERN}.`);
    }
    if (entry === null || typeof entry !== 'object') {
      throw new ClamatorContractError(`${where}: the entry must be method({ params, result }) or notification({ params }).`);
    }
    const { params, result, notification: isNotification } = entry as Record<string, unknown>;
    if (!isSchema(params)) {
      throw new ClamatorContractError(`${where}: params must be a class or a zod schema, got ${describe(params)}.`);
    }
    if (isNotification === true) {
      if (result !== undefined) {
        throw new ClamatorContractError(`${where}: a notification has no result; remove it or use method().`);
      }
    } else if (result === undefined) {
      throw new ClamatorContractError(`${where}: a method needs a result; use notification() for one that has none.`);
    } else if (!isSchema(result)) {
      throw new ClamatorContractError(`${where}: result must be a class or a zod schema, got ${describe(result)}.`);
    }
  }
}

/** Whether an entry is a notification. */
export function isNotificationEntry(entry: ContractEntry): entry is ContractNotification {
  return entry.notification === true;
}

/** Whether a schema is a zod schema (as opposed to a class). */
export function isZodSchema(schema: unknown): schema is ContractZodSchema {
  return (
    schema !== null &&
    (typeof schema === 'object' || typeof schema === 'function') &&
    typeof (schema as { safeParse?: unknown }).safeParse === 'function'
  );
}

function isSchema(value: unknown): value is ContractSchema {
  return typeof value === 'function' || isZodSchema(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return typeof value;
}

/**
 * The language-neutral description of a contract that the emitters (Python, JSON Schema) work
 * from. The readers (class-validator classes, zod schemas) build it; nothing here knows either.
 */

/** Numeric and length bounds of a value. Lengths count characters for strings, items for lists. */
export interface ValueBounds {
  /** Inclusive lower bound (`@Min`). */
  readonly ge?: number;
  /** Inclusive upper bound (`@Max`). */
  readonly le?: number;
  /** Exclusive lower bound (`@IsPositive`: 0). */
  readonly gt?: number;
  /** Exclusive upper bound (`@IsNegative`: 0). */
  readonly lt?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** A regular expression the whole string is searched with (as `@Matches` does: not anchored). */
  readonly pattern?: string;
}

/** A scalar type. */
export type ScalarKind = 'int' | 'float' | 'str' | 'bool';

/** The type of a field or of a list's items. */
export type ValueType =
  | { readonly kind: ScalarKind; readonly bounds: ValueBounds }
  /** One of a fixed set of values (`@IsEnum`, `@IsIn`, zod enums and literals). */
  | { readonly kind: 'literal'; readonly values: readonly LiteralValue[] }
  | { readonly kind: 'model'; readonly model: ObjectModel }
  | { readonly kind: 'list'; readonly items: ValueType; readonly bounds: ValueBounds };

/** A value a literal type allows. */
export type LiteralValue = string | number | boolean;

/** One field of an object, in declaration order. */
export interface FieldModel {
  /** The name on the wire (the class property or zod key). */
  readonly name: string;
  readonly type: ValueType;
  /** May be absent or null (`@IsOptional`); generated with the default None. */
  readonly optional: boolean;
}

/**
 * An object with a fixed set of fields and no others. One instance per class (or zod object), so
 * that a class used in several places is generated once and a recursive class terminates.
 */
export interface ObjectModel {
  /** The name it is known by in the source (the class name); emitters may rename it to keep names unique. */
  readonly name: string;
  /** Filled in after the instance is created, so that recursive references can point at it. */
  readonly fields: FieldModel[];
}

/** One method or notification of a contract. */
export interface MethodModel {
  readonly name: string;
  readonly params: ObjectModel;
  /** Absent for a notification. */
  readonly result?: ObjectModel;
}

/** A contract, read. */
export interface ContractModel {
  readonly service: string;
  /** In the contract's declaration order. */
  readonly methods: readonly MethodModel[];
  /** Where it was loaded from, for the generated files' header; absent when unknown. */
  readonly source?: string;
}

/** A contract the generator cannot express; the message names the service, method and field at fault. */
export class ClamatorCodegenError extends Error {
  override readonly name = 'ClamatorCodegenError';
}

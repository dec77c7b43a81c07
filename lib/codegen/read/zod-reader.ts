import type { ContractZodSchema } from '../../contracts/contract.js';
import { ClamatorCodegenError, type FieldModel, type LiteralValue, type ObjectModel, type ValueBounds, type ValueType } from '../model.js';

type Schema = Record<string, unknown>;

/** zod 4 schemas convert themselves; zod 3 ones have no such method. */
interface ConvertibleSchema {
  toJSONSchema(params?: { unrepresentable?: 'throw' | 'any' }): Schema;
}

const SCHEMA_KEYS = new Set(['$schema', 'type', 'properties', 'required', 'additionalProperties', 'description', 'title', 'default']);
const SCALAR_KEYS: Readonly<Record<string, readonly string[]>> = {
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  string: ['minLength', 'maxLength', 'pattern'],
  boolean: [],
};
const IGNORED_KEYS = new Set(['description', 'title', 'default', 'examples', '$schema']);

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function numberBounds(schema: Schema, integer: boolean): ValueBounds {
  // zod 4 bounds every integer to the safe range; that is JSON's limit, not the contract's.
  const keep = (value: unknown) => (typeof value === 'number' && !(integer && Math.abs(value) === Number.MAX_SAFE_INTEGER) ? value : undefined);
  const bounds = { ge: keep(schema.minimum), le: keep(schema.maximum), gt: keep(schema.exclusiveMinimum), lt: keep(schema.exclusiveMaximum) };
  return Object.fromEntries(Object.entries(bounds).filter(([, value]) => value !== undefined));
}

/**
 * Reads zod 4 schemas through zod's own JSON Schema conversion, then maps the subset that has a
 * pydantic counterpart: objects, integers, numbers, strings, booleans, enums and literals, arrays,
 * optional and nullable fields. Nested objects are named after their parent and field
 * (`AddParams` → `AddParamsOptions`). Anything else fails naming the field.
 */
export class ZodReader {
  /** The model of a params or result schema named `name` (`AddParams`). */
  read(schema: ContractZodSchema, name: string, where: string): ObjectModel {
    const convertible = schema as unknown as Partial<ConvertibleSchema>;
    if (typeof convertible.toJSONSchema !== 'function') {
      throw new ClamatorCodegenError(`${where}: this zod schema has no toJSONSchema(); code generation needs zod 4 schemas (zod >= 4, or "zod/v4" from zod 3.25).`);
    }
    let json: Schema;
    try {
      json = convertible.toJSONSchema({ unrepresentable: 'throw' });
    } catch (error) {
      throw new ClamatorCodegenError(`${where}: zod cannot express ${name} as JSON Schema: ${error instanceof Error ? error.message : String(error)}.`);
    }
    return this.object(json, name, `${where}: ${name}`);
  }

  private object(schema: Schema, name: string, where: string): ObjectModel {
    if (schema.type !== 'object' || typeof schema.properties !== 'object' || schema.properties === null) {
      throw new ClamatorCodegenError(`${where}: must be a z.object(...) (got ${JSON.stringify(schema.type ?? Object.keys(schema))}).`);
    }
    if (schema.additionalProperties !== false) {
      throw new ClamatorCodegenError(`${where}: must not allow extra keys (the generated models forbid them); use z.object or z.strictObject, not z.looseObject or .catchall().`);
    }
    const unknown = Object.keys(schema).find((key) => !SCHEMA_KEYS.has(key));
    if (unknown !== undefined) throw new ClamatorCodegenError(`${where}: the JSON Schema keyword "${unknown}" has no pydantic mapping.`);
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const fields: FieldModel[] = [];
    for (const [key, value] of Object.entries(schema.properties as Record<string, Schema>)) {
      const fieldWhere = `${where}.${key}`;
      const { type, nullable } = this.nullable(value, `${name}${upperFirst(key)}`, fieldWhere);
      fields.push({ name: key, type, optional: nullable || !required.has(key) });
    }
    return { name, fields };
  }

  private nullable(schema: Schema, name: string, where: string): { type: ValueType; nullable: boolean } {
    if (Array.isArray(schema.type) && schema.type.length === 2 && schema.type.includes('null')) {
      return { type: this.value({ ...schema, type: schema.type.find((t) => t !== 'null') }, name, where), nullable: true };
    }
    const options = schema.anyOf;
    if (Array.isArray(options) && options.length === 2) {
      const rest = (options as Schema[]).filter((option) => option.type !== 'null');
      if (rest.length === 1) return { type: this.value(rest[0], name, where), nullable: true };
    }
    return { type: this.value(schema, name, where), nullable: false };
  }

  private value(schema: Schema, name: string, where: string): ValueType {
    if (Array.isArray(schema.enum) || 'const' in schema) {
      const values = (Array.isArray(schema.enum) ? schema.enum : [schema.const]) as unknown[];
      if (values.every((v): v is LiteralValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
        return { kind: 'literal', values };
      }
      throw new ClamatorCodegenError(`${where}: an enum or literal whose values are not all strings, numbers or booleans.`);
    }
    const type = schema.type;
    if (type === 'object') return { kind: 'model', model: this.object(schema, name, where) };
    if (type === 'array') {
      const extra = Object.keys(schema).find((key) => !['type', 'items', 'minItems', 'maxItems'].includes(key) && !IGNORED_KEYS.has(key));
      if (extra !== undefined || typeof schema.items !== 'object' || schema.items === null || Array.isArray(schema.items)) {
        throw new ClamatorCodegenError(`${where}: only plain arrays of one item type map (found ${extra === undefined ? 'tuple or untyped items' : `"${extra}"`}).`);
      }
      const bounds: ValueBounds = { minLength: schema.minItems as number | undefined, maxLength: schema.maxItems as number | undefined };
      return { kind: 'list', items: this.value(schema.items as Schema, `${name}Item`, `${where}[]`), bounds: clean(bounds) };
    }
    if (typeof type === 'string' && type in SCALAR_KEYS) {
      const extra = Object.keys(schema).find((key) => key !== 'type' && !SCALAR_KEYS[type].includes(key) && !IGNORED_KEYS.has(key));
      if (extra !== undefined) throw new ClamatorCodegenError(`${where}: the JSON Schema keyword "${extra}" (a zod check or format) has no pydantic mapping.`);
      if (type === 'string') return { kind: 'str', bounds: clean({ minLength: schema.minLength as number | undefined, maxLength: schema.maxLength as number | undefined, pattern: schema.pattern as string | undefined }) };
      if (type === 'boolean') return { kind: 'bool', bounds: {} };
      return { kind: type === 'integer' ? 'int' : 'float', bounds: numberBounds(schema, type === 'integer') };
    }
    throw new ClamatorCodegenError(`${where}: the schema ${JSON.stringify(schema)} has no pydantic mapping (unions, records, tuples and refinements are not generated).`);
  }
}

function clean(bounds: ValueBounds): ValueBounds {
  return Object.fromEntries(Object.entries(bounds).filter(([, value]) => value !== undefined));
}

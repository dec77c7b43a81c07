import type * as ClassTransformer from 'class-transformer';
import type * as ClassValidator from 'class-validator';
import { type ConstraintDetail, validationDetails } from '../filters/clamator-exception.filter.js';
import { type ContractClass, type ContractSchema, isZodSchema } from './contract.js';

/** The outcome of checking a payload against a schema: the value to use, or why it does not fit. */
export type SchemaCheck = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly errors: ConstraintDetail[] };

/**
 * How strict a check is. Params refuse fields the schema does not declare (as clamator's generated
 * pydantic models do); results drop them, so that a server adding a field does not break its
 * callers.
 */
export type CheckMode = 'params' | 'result';

interface ClassLibraries {
  readonly validate: typeof ClassValidator.validate;
  readonly plainToInstance: typeof ClassTransformer.plainToInstance;
}

let loadingClassLibraries: Promise<ClassLibraries> | undefined;
let classLibraries: ClassLibraries | undefined;

/** CommonJS packages come through `import()` with their names at the top, or under `default`. */
function namedExports<T extends object>(module: T & { default?: T }, name: keyof T): T {
  return typeof module[name] === 'function' ? module : (module.default as T);
}

/**
 * Loads class-validator and class-transformer (optional peers) on the first check of a class
 * schema: an application whose contracts are all zod never loads them.
 */
function loadClassLibraries(): Promise<ClassLibraries> {
  loadingClassLibraries ??= Promise.all([import('class-validator'), import('class-transformer')]).then(
    ([validator, transformer]) => {
      classLibraries = {
        validate: namedExports(validator, 'validate').validate,
        plainToInstance: namedExports(transformer, 'plainToInstance').plainToInstance,
      };
      return classLibraries;
    },
    (error: Error) => {
      loadingClassLibraries = undefined;
      throw new Error(
        `nestjs-clamator: contracts with class schemas need class-validator and class-transformer installed (${error.message}).`,
        { cause: error },
      );
    },
  );
  return loadingClassLibraries;
}

const PARAMS_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false } as const;
const RESULT_OPTIONS = { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: false } as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function checkClass(schema: ContractClass, value: unknown, mode: CheckMode): Promise<SchemaCheck> {
  if (!isPlainObject(value)) {
    const what = mode === 'params' ? 'params' : 'the result';
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return { ok: false, errors: [{ field: '', message: `${what} must be an object (${schema.name}), got ${got}`, constraint: 'isObject' }] };
  }
  const { validate, plainToInstance } = classLibraries ?? (await loadClassLibraries());
  const instance = plainToInstance(schema, value) as object;
  const errors = await validate(instance, mode === 'params' ? PARAMS_OPTIONS : RESULT_OPTIONS);
  return errors.length === 0 ? { ok: true, value: instance } : { ok: false, errors: validationDetails(errors) };
}

/** The parts of a zod issue (zod 3 and 4 alike) a detail is made of. */
interface ZodIssueLike {
  readonly path?: ReadonlyArray<PropertyKey>;
  readonly message?: string;
  readonly code?: string;
  /** The keys an `unrecognized_keys` issue is about. */
  readonly keys?: ReadonlyArray<PropertyKey>;
}

function zodDetails(error: unknown): ConstraintDetail[] {
  const issues = (error as { issues?: ZodIssueLike[] } | null)?.issues;
  if (!Array.isArray(issues)) return [{ field: '', message: String(error), constraint: 'invalid' }];
  return issues.flatMap((issue) => {
    const path = (issue.path ?? []).map(String);
    const message = issue.message ?? 'invalid';
    const constraint = issue.code ?? 'invalid';
    // A strict object reports its unknown keys in one issue at the object's path: one detail per key names each field.
    if (Array.isArray(issue.keys) && issue.keys.length > 0) {
      return issue.keys.map((key) => ({ field: [...path, String(key)].join('.'), message, constraint }));
    }
    return [{ field: path.join('.'), message, constraint }];
  });
}

/**
 * Checks `value` against a class-validator class (turned into an instance of it, then validated)
 * or a zod schema (`safeParse`, its own rules on unknown keys). Resolves with the instance or the
 * parsed value, or with one detail per failure (`field` a dotted path, `message`, `constraint`).
 */
export function checkSchema(schema: ContractSchema, value: unknown, mode: CheckMode): Promise<SchemaCheck> | SchemaCheck {
  if (isZodSchema(schema)) {
    const parsed = schema.safeParse(value);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: zodDetails(parsed.error) };
  }
  return checkClass(schema, value, mode);
}

/** A schema's name for messages: the class's name, or `zod schema`. */
export function schemaName(schema: ContractSchema): string {
  return isZodSchema(schema) ? 'zod schema' : schema.name || 'anonymous class';
}

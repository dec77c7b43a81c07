import type { LiteralValue, ScalarKind, ValueBounds } from '../model.js';

/** What one class-validator decorator says about a property, once read. */
export type RuleEffect =
  | { readonly effect: 'type'; readonly kind: ScalarKind }
  | { readonly effect: 'literal'; readonly values: readonly unknown[] }
  | { readonly effect: 'array' }
  | { readonly effect: 'bounds'; readonly bounds: ValueBounds; readonly appliesTo: 'number' | 'length' | 'string' }
  /** Bounds on the list itself (`@ArrayMinSize`), whatever `each` says. */
  | { readonly effect: 'listBounds'; readonly bounds: ValueBounds }
  /** `@IsNotEmpty`: a string must have a character; other values just be present. */
  | { readonly effect: 'notEmpty' };

/** The parts of class-validator's `ValidationMetadata` read here. */
export interface RuleMetadata {
  readonly type: string;
  readonly name?: string;
  readonly propertyName: string;
  /** The class that declared the decorator (a base class for inherited ones). */
  readonly target?: Function | string;
  readonly constraints?: readonly unknown[];
  readonly each?: boolean;
}

/** Where class-validator's metadata name differs from its decorator's. */
const DECORATOR_OF_NAME: Readonly<Record<string, string>> = { isLength: 'length' };

/** `isEmail` → `@IsEmail`, `isLength` → `@Length`: the decorator a metadata name comes from, for messages. */
export function decoratorName(name: string): string {
  const decorator = DECORATOR_OF_NAME[name] ?? name;
  return `@${decorator.charAt(0).toUpperCase()}${decorator.slice(1)}`;
}

function literalValues(values: unknown): readonly unknown[] {
  return Array.isArray(values) ? values : [];
}

/**
 * JavaScript flags as Python inline flags; pydantic hands the pattern to a regex engine that reads
 * `(?i)`, `(?m)` and `(?s)`. `g` and `u` change nothing for a test; `y` and `d` have no counterpart.
 */
function patternOf(pattern: unknown, modifiers: unknown): string | Error {
  let regex: RegExp;
  try {
    regex = pattern instanceof RegExp || Object.prototype.toString.call(pattern) === '[object RegExp]' ? (pattern as RegExp) : new RegExp(String(pattern), typeof modifiers === 'string' ? modifiers : undefined);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  const inline = [...regex.flags].filter((flag) => !'gu'.includes(flag));
  const unknown = inline.find((flag) => !'ims'.includes(flag));
  if (unknown !== undefined) return new Error(`the regular expression flag "${unknown}" has no Python counterpart`);
  return inline.length === 0 ? regex.source : `(?${inline.join('')})${regex.source}`;
}

const SIMPLE_RULES: Readonly<Record<string, RuleEffect>> = {
  isInt: { effect: 'type', kind: 'int' },
  isString: { effect: 'type', kind: 'str' },
  isBoolean: { effect: 'type', kind: 'bool' },
  isArray: { effect: 'array' },
  isPositive: { effect: 'bounds', bounds: { gt: 0 }, appliesTo: 'number' },
  isNegative: { effect: 'bounds', bounds: { lt: 0 }, appliesTo: 'number' },
  isNotEmpty: { effect: 'notEmpty' },
  arrayNotEmpty: { effect: 'listBounds', bounds: { minLength: 1 } },
};

/** The decorators mapped, for the "supported" list of error messages and the README table. */
export const MAPPED_DECORATORS: readonly string[] = [
  'isInt', 'isNumber', 'isString', 'isBoolean', 'isEnum', 'isIn', 'isArray', 'min', 'max', 'isPositive', 'isNegative',
  'length', 'minLength', 'maxLength', 'matches', 'isNotEmpty', 'arrayMinSize', 'arrayMaxSize', 'arrayNotEmpty',
  'isOptional', 'isDefined', 'validateNested', 'allow',
].map(decoratorName);

function finite(value: unknown): number | Error {
  return typeof value === 'number' && Number.isFinite(value) ? value : new Error(`its bound ${String(value)} is not a finite number`);
}

function boundsRule(bounds: ValueBounds, appliesTo: 'number' | 'length' | 'string'): RuleEffect | Error {
  for (const value of Object.values(bounds)) {
    if (value !== undefined && typeof value !== 'string') {
      const checked = finite(value);
      if (checked instanceof Error) return checked;
    }
  }
  return { effect: 'bounds', bounds, appliesTo };
}

/**
 * What a `customValidation` decorator means, or an Error saying why it cannot be mapped
 * (`undefined` when the decorator is not one this generator knows).
 */
export function customRule(name: string, constraints: readonly unknown[]): RuleEffect | Error | undefined {
  const simple = SIMPLE_RULES[name];
  if (simple) return simple;
  const [first, second] = constraints;
  switch (name) {
    case 'isNumber': {
      const options = (first ?? {}) as Record<string, unknown>;
      if (options.maxDecimalPlaces !== undefined) return new Error('maxDecimalPlaces has no pydantic float counterpart');
      return { effect: 'type', kind: 'float' };
    }
    case 'isEnum':
      // class-validator keeps the enum's valid values (numeric enums without their reverse keys) second.
      return { effect: 'literal', values: literalValues(second) };
    case 'isIn':
      return { effect: 'literal', values: literalValues(first) };
    case 'min':
      return boundsRule({ ge: first as number }, 'number');
    case 'max':
      return boundsRule({ le: first as number }, 'number');
    case 'isLength':
      return boundsRule(second === undefined ? { minLength: first as number } : { minLength: first as number, maxLength: second as number }, 'length');
    case 'minLength':
      return boundsRule({ minLength: first as number }, 'length');
    case 'maxLength':
      return boundsRule({ maxLength: first as number }, 'length');
    case 'matches': {
      const pattern = patternOf(first, second);
      return pattern instanceof Error ? pattern : { effect: 'bounds', bounds: { pattern }, appliesTo: 'string' };
    }
    case 'arrayMinSize':
    case 'arrayMaxSize': {
      const size = finite(first);
      if (size instanceof Error) return size;
      return { effect: 'listBounds', bounds: name === 'arrayMinSize' ? { minLength: size } : { maxLength: size } };
    }
    default:
      return undefined;
  }
}

/** A literal's values, checked: JSON scalars only. */
export function checkedLiterals(values: readonly unknown[]): LiteralValue[] | Error {
  if (values.length === 0) return new Error('it allows no value');
  for (const value of values) {
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
      return new Error(`its value ${String(value)} is not a string, finite number or boolean`);
    }
  }
  return values as LiteralValue[];
}

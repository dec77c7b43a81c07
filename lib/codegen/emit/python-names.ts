import { ClamatorCodegenError, type LiteralValue } from '../model.js';

/** Python's reserved words: a field named after one gets a trailing underscore and an alias. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * Names the generated annotations use: a field named after one would hide the type from pydantic,
 * which evaluates the annotations in the class's namespace.
 */
const ANNOTATION_NAMES = new Set(['int', 'float', 'str', 'bool', 'list']);

/**
 * `getUser` → `get_user`, `parseHTTPBody` → `parse_h_t_t_p_body`: an underscore before every
 * capital but a leading one, then lower case. This is the rule clamator's own generator applies to
 * handler names, so that a Python service written against either generator has the same methods.
 */
export function snakeCase(name: string): string {
  return name.replace(/(?<=.)([A-Z])/g, '_$1').toLowerCase();
}

/**
 * The Python attribute for a wire field name: snake_case, made an identifier that pydantic
 * accepts as a field (a leading underscore would make it private, `model_` is pydantic's, a
 * keyword cannot be a name, a type name would hide the type). The wire name stays the alias.
 */
export function pythonFieldName(wireName: string): string {
  let name = snakeCase(wireName).replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9_]/.test(name)) name = `field_${name.replace(/^_+/, '')}`;
  // pydantic keeps the model_ prefix for its own attributes (model_config, model_dump...).
  if (name.startsWith('model_')) name = `field_${name}`;
  if (PYTHON_KEYWORDS.has(name) || ANNOTATION_NAMES.has(name)) name = `${name}_`;
  return name;
}

/** A Python string literal: JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`) mean the same in Python. */
export function pythonString(text: string): string {
  return JSON.stringify(text);
}

/** A Python number literal for a finite number. */
export function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new ClamatorCodegenError(`${value} has no Python literal in a generated bound.`);
  return String(value);
}

/** A Python literal for a `Literal[...]` value. */
export function pythonLiteral(value: LiteralValue): string {
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return pythonNumber(value);
}

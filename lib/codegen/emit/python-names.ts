import { ClamatorCodegenError, type LiteralValue } from '../model.js';

/** Python's reserved words: a field named after one gets a trailing underscore and an alias. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * `getUser` → `get_user`, `parseHTTPBody` → `parse_h_t_t_p_body`: an underscore before every
 * capital but a leading one, then lower case. This is the rule clamator's own generator applies to
 * handler names, so that a Python service written against either generator has the same methods.
 */
export function snakeCase(name: string): string {
  return name.replace(/(?<=.)([A-Z])/g, '_$1').toLowerCase();
}

/**
 * The Python attribute for a wire field name: snake_case, made an identifier (a leading
 * underscore would make pydantic treat it as private; a keyword cannot be a name). The wire
 * name stays the alias.
 */
export function pythonFieldName(wireName: string): string {
  let name = snakeCase(wireName).replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9_]/.test(name)) name = `field_${name.replace(/^_+/, '')}`;
  if (PYTHON_KEYWORDS.has(name)) name = `${name}_`;
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

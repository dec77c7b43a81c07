/**
 * Reads the exact text of one member of a JSON object without parsing it into values, for what
 * `JSON.parse` cannot keep: an integer id beyond 2^53 comes out of it as the nearest double, while
 * a reply must echo the id exactly as the caller wrote it.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

function skipWhitespace(text: string, index: number): number {
  let at = index;
  while (at < text.length && WHITESPACE.has(text[at])) at += 1;
  return at;
}

/** Index just past the string that opens at `index` (a `"`), escapes included; `text.length` when unterminated. */
function skipString(text: string, index: number): number {
  let at = index + 1;
  while (at < text.length) {
    const char = text[at];
    if (char === '\\') at += 2;
    else if (char === '"') return at + 1;
    else at += 1;
  }
  return text.length;
}

/** Index just past the value that starts at `index`: a string, an object or array (nesting counted), or a literal. */
function skipValue(text: string, index: number): number {
  const first = text[index];
  if (first === '"') return skipString(text, index);
  if (first === '{' || first === '[') {
    let depth = 0;
    let at = index;
    while (at < text.length) {
      const char = text[at];
      if (char === '"') {
        at = skipString(text, at);
        continue;
      }
      if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') {
        depth -= 1;
        if (depth === 0) return at + 1;
      }
      at += 1;
    }
    return text.length;
  }
  // Numbers, true, false, null: they end at the first delimiter.
  let at = index;
  while (at < text.length && !WHITESPACE.has(text[at]) && text[at] !== ',' && text[at] !== '}' && text[at] !== ']') at += 1;
  return at;
}

/** True when the JSON string literal `keyText` (quotes included) denotes `name`, escapes such as `\u0069` decoded. */
function keyDenotes(keyText: string, name: string): boolean {
  if (keyText.length === name.length + 2 && keyText.slice(1, -1) === name) return true;
  if (!keyText.includes('\\')) return false;
  try {
    return JSON.parse(keyText) === name;
  } catch {
    return false;
  }
}

/**
 * The exact text of the value of member `name` of the JSON object `json`, looking only at the
 * object's own (top-level) members: a member of the same name inside a nested value, or the
 * same characters inside a string, is never taken. When the name occurs more than once, the last
 * one wins, as with `JSON.parse`. Returns `undefined` when `json` is not an object or has no such member.
 *
 * Meant for text `JSON.parse` has already accepted: on malformed input the result is unspecified
 * (but it never throws and always ends).
 */
export function topLevelMemberText(json: string, name: string): string | undefined {
  let at = skipWhitespace(json, 0);
  if (json[at] !== '{') return undefined;
  at = skipWhitespace(json, at + 1);
  let found: string | undefined;
  while (at < json.length && json[at] === '"') {
    const keyStart = at;
    at = skipString(json, at);
    const keyText = json.slice(keyStart, at);
    at = skipWhitespace(json, at);
    if (json[at] !== ':') return found;
    at = skipWhitespace(json, at + 1);
    const valueStart = at;
    at = skipValue(json, at);
    if (at === valueStart) return found;
    if (keyDenotes(keyText, name)) found = json.slice(valueStart, at);
    at = skipWhitespace(json, at);
    if (json[at] !== ',') break;
    at = skipWhitespace(json, at + 1);
  }
  return found;
}

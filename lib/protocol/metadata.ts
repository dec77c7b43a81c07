/**
 * Metadata that travels with a request or notification in the `metadata` stream field: string keys
 * to string values, as JSON. Pure: no I/O.
 */

/** What a caller may attach to a request or notification, and what a handler reads from its context. */
export type ClamatorMetadata = Record<string, string>;

/** Largest metadata, in bytes of its JSON text: more is refused at the caller and ignored on the wire. */
export const MAX_METADATA_BYTES = 8 * 1024;

/** Why `metadata` cannot be sent, or `null` when it can. */
function metadataViolation(metadata: unknown): string | null {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return 'must be an object of strings';
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') return `must hold strings only, but "${key}" is ${value === null ? 'null' : typeof value}`;
  }
  return null;
}

/**
 * The JSON text of metadata a caller gave, for the wire; `undefined` when there is none (absent or
 * empty). Throws a `TypeError` naming the problem when it is not an object of strings or is larger
 * than `MAX_METADATA_BYTES`.
 */
export function encodeMetadata(metadata: unknown, what: string): string | undefined {
  if (metadata === undefined) return undefined;
  const violation = metadataViolation(metadata);
  if (violation) throw new TypeError(`ClamatorClient: metadata of ${what} ${violation}.`);
  const keys = Object.keys(metadata as object);
  if (keys.length === 0) return undefined;
  const json = JSON.stringify(metadata);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_METADATA_BYTES) throw new TypeError(`ClamatorClient: metadata of ${what} takes ${bytes} bytes, more than ${MAX_METADATA_BYTES}.`);
  return json;
}

/** What `decodeMetadata` found in a `metadata` field. */
export type DecodedMetadata = { readonly metadata: ClamatorMetadata } | { readonly invalid: string };

/**
 * Reads the `metadata` field of an entry: the metadata, or why it is ignored (not JSON, not an
 * object of strings, larger than `MAX_METADATA_BYTES`). Never throws.
 */
export function decodeMetadata(raw: string): DecodedMetadata {
  if (raw.length > MAX_METADATA_BYTES) return { invalid: `larger than ${MAX_METADATA_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return { invalid: `not JSON (${(error as Error).message})` };
  }
  const violation = metadataViolation(parsed);
  return violation ? { invalid: violation } : { metadata: parsed as ClamatorMetadata };
}

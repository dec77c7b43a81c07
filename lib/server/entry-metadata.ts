import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import { FIELD_METADATA } from '../protocol/constants.js';
import { type ClamatorMetadata, decodeMetadata } from '../protocol/metadata.js';
import { fieldValue, type StreamEntry } from '../streams/stream-replies.js';

/**
 * The metadata an entry carries in its `metadata` field; `undefined` when it has none (every other
 * clamator peer writes none) or when it is not valid, which is ignored with a rate-limited warning:
 * metadata never keeps an entry from being handled.
 */
export function entryMetadata(entry: StreamEntry, warnings: RateLimitedLog, where: string): ClamatorMetadata | undefined {
  const raw = fieldValue(entry.fields, FIELD_METADATA);
  if (raw === undefined) return undefined;
  const decoded = decodeMetadata(raw);
  if ('metadata' in decoded) return decoded.metadata;
  warnings.warn('invalid-metadata', `${where}: the metadata of entry ${entry.id} is ignored: it is ${decoded.invalid}.`);
  return undefined;
}

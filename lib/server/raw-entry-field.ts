import type { Redis } from 'ioredis';

/**
 * Reads the raw bytes of field `field` of entry `entryId` (the first such field, as readers look
 * fields up); `undefined` when the entry or the field is gone. May reject when Redis refuses.
 */
export type RawFieldLookup = (entryId: string, field: string) => Promise<Buffer | undefined>;

/**
 * A `RawFieldLookup` on the stream `streamKey`: `XRANGE <streamKey> <id> <id>` with Buffer replies,
 * since the strings ioredis decodes replace bytes that are not valid UTF-8 and so cannot tell them
 * from a literal U+FFFD. `connection` is asked on every lookup: the owner may open a new one.
 */
export function rawFieldLookup(connection: () => Redis, streamKey: string): RawFieldLookup {
  return async (entryId, field) => {
    const entries = await connection().xrangeBuffer(streamKey, entryId, entryId);
    const fields: unknown = entries[0]?.[1];
    if (!Array.isArray(fields)) return undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name: unknown = fields[i];
      if (Buffer.isBuffer(name) && name.toString('latin1') === field) {
        const value: unknown = fields[i + 1];
        return Buffer.isBuffer(value) ? value : undefined;
      }
    }
    return undefined;
  };
}

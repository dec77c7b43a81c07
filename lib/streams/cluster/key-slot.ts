/** Number of hash slots of a Redis Cluster. */
const SLOT_COUNT = 16_384;

/** CRC16/XMODEM (polynomial 0x1021), the checksum Redis Cluster hashes keys with, by table. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i += 1) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * The hash slot of `key` as Redis Cluster computes it: CRC16 of the key's UTF-8 bytes modulo
 * 16384, or of its hash tag only when it has one (the text between the first `{` and the next
 * `}`, when not empty), so that `{app}:cmds:a` and `{app}:replies:b` share a slot.
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOT_COUNT;
  }
  return crc16(bytes, 0, bytes.length) % SLOT_COUNT;
}

/** Slots remembered at most before the cache starts over (keys are command and reply streams: few, reused). */
const CACHED_SLOTS = 10_000;

/** `keySlot` with a cache, for batches that look up the same few keys again and again. */
export class KeySlots {
  private readonly cache = new Map<string, number>();

  /** The hash slot of `key`. */
  of(key: string): number {
    let slot = this.cache.get(key);
    if (slot === undefined) {
      if (this.cache.size >= CACHED_SLOTS) this.cache.clear();
      slot = keySlot(key);
      this.cache.set(key, slot);
    }
    return slot;
  }

  /** True when every key `keysOf` yields for the `items` hashes to `slot` (to the first key's slot when `slot` is not given). */
  allIn<T>(items: readonly T[], keysOf: (item: T) => Iterable<string | undefined>, slot?: number): boolean {
    let expected = slot;
    for (const item of items) {
      for (const key of keysOf(item)) {
        if (key === undefined) continue;
        const found = this.of(key);
        if (expected === undefined) expected = found;
        else if (found !== expected) return false;
      }
    }
    return true;
  }

  /** `items` grouped by the slot of the key `keyOf` gives, in first-seen order within each group. */
  group<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, T[]> {
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const slot = this.of(keyOf(item));
      const group = groups.get(slot);
      if (group) group.push(item);
      else groups.set(slot, [item]);
    }
    return groups;
  }
}

import type { ClamatorMetadata } from '../protocol/metadata.js';

/**
 * What `send()` / `emit()` carry when they need more than params: metadata and, for `send()`, a
 * timeout of its own. Made by `ClamatorRecordBuilder`.
 */
export class ClamatorRecord<TData = unknown> {
  constructor(
    /** The params of the call or notification. */
    readonly data: TData,
    /** Metadata for the handler's `ctx.getMetadata()`, merged over what a dispatch hook set. */
    readonly metadata: ClamatorMetadata | undefined,
    /** The call's timeout in milliseconds; `undefined` for the client's `defaultTimeoutMs`. */
    readonly timeoutMs: number | undefined,
  ) {}
}

/**
 * Builds a `ClamatorRecord`, in the style of Nest's record builders:
 *
 * ```ts
 * client.send('arith.add', new ClamatorRecordBuilder({ a: 1, b: 2 }).setMetadata({ tenant: 't1' }).setTimeout(500).build());
 * ```
 */
export class ClamatorRecordBuilder<TData = unknown> {
  private metadata: ClamatorMetadata | undefined;
  private timeoutMs: number | undefined;

  constructor(private data?: TData) {}

  /** The params. Default: those given to the constructor. */
  setData(data: TData): this {
    this.data = data;
    return this;
  }

  /** Metadata (string values) for the handler. Default: none. */
  setMetadata(metadata: ClamatorMetadata): this {
    this.metadata = metadata;
    return this;
  }

  /** The call's timeout in milliseconds (ignored by `emit()`). Default: the client's `defaultTimeoutMs`. */
  setTimeout(timeoutMs: number): this {
    this.timeoutMs = timeoutMs;
    return this;
  }

  build(): ClamatorRecord<TData> {
    return new ClamatorRecord(this.data as TData, this.metadata, this.timeoutMs);
  }
}

/** A record's metadata over what a dispatch hook set on the packet (per key). */
export function mergeMetadata(fromHook: ClamatorMetadata | undefined, fromRecord: ClamatorMetadata | undefined): ClamatorMetadata | undefined {
  if (fromHook === undefined) return fromRecord;
  return fromRecord === undefined ? fromHook : { ...fromHook, ...fromRecord };
}

/** Most entries remembered at once; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;

/**
 * The entries whose reply (or acknowledgement) Redis refused, with its reason: they stay pending and
 * come back, and when one comes back once too often, its dead letter says why its answers were lost.
 * Bounded, so that a long outage of writes cannot grow it without end.
 */
export class WriteFailures {
  private readonly reasons = new Map<string, string>();

  /** Remembers (or refreshes) why the writes of `entryId` failed. */
  remember(entryId: string, reason: string): void {
    this.reasons.delete(entryId);
    this.reasons.set(entryId, reason);
    if (this.reasons.size > MAX_REMEMBERED) this.reasons.delete(this.reasons.keys().next().value as string);
  }

  /** Forgets and returns the reason remembered for `entryId`, if any (free when nothing is remembered). */
  take(entryId: string): string | undefined {
    if (this.reasons.size === 0) return undefined;
    const reason = this.reasons.get(entryId);
    if (reason !== undefined) this.reasons.delete(entryId);
    return reason;
  }
}

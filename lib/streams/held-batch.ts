/**
 * Writes gathered within one tick and sent together on the next, unless a read loop holds them
 * (`hold`) to send them along with its next read, in one socket write; `release` ends the hold.
 * The batchers of replies (server) and of requests (client) are both this.
 */
export abstract class HeldBatch<T> {
  protected batch: T[] = [];
  private scheduled = false;
  private holds = 0;

  /** Writes queued and not yet sent. */
  get queued(): number {
    return this.batch.length;
  }

  /** A read loop starts gathering: writes wait for it to take them (or for its `release`). */
  hold(): void {
    this.holds += 1;
  }

  /** The gathering loop is done; whatever it did not take is sent on the next tick. */
  release(): void {
    this.holds -= 1;
    this.schedule();
  }

  /** Queues a write, to be sent on the next tick unless held. */
  protected add(item: T): void {
    this.batch.push(item);
    this.schedule();
  }

  /** Takes everything queued, to be sent by the caller. */
  protected take(): T[] {
    const batch = this.batch;
    this.batch = [];
    return batch;
  }

  /** Sends what is queued (`force`: whatever holds there are); nothing when the batch is empty. */
  protected flush(force: boolean): void {
    this.scheduled = false;
    if (this.holds > 0 && !force) return;
    if (this.batch.length === 0) return;
    this.sendBatch(this.take());
  }

  /** Sends a non-empty batch on the command connection. */
  protected abstract sendBatch(batch: T[]): void;

  private schedule(): void {
    if (this.scheduled || this.holds > 0 || this.batch.length === 0) return;
    this.scheduled = true;
    process.nextTick(() => this.flush(false));
  }
}

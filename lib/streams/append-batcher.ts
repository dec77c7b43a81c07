import type { KeySlots } from './cluster/key-slot.js';
import { HeldBatch } from './held-batch.js';
import { retryingFailover } from './cluster/redirects.js';
import type { RedisConnection } from './connections/redis-connections.js';
import { corkableSocket } from './connections/corkable-socket.js';
import { APPEND_ENTRIES_SCRIPT, appendEntriesCall, appendEntry, type OutgoingEntry } from './scripts/append-entries.script.js';
import { chunked, isScriptRefusedError, MAX_SCRIPT_BATCH, parseScriptFailures, type ScriptSupport } from './scripts/redis-script.js';

/**
 * Collects the requests and notifications a client sends within one tick (a batch of replies
 * resumes many callers at once, and each sends its next call) and appends them with one script
 * call instead of one XADD each. A lone entry goes out as a plain XADD, which costs Redis less
 * than a script. Where Redis refuses scripts (ACL, scripting disabled) it falls back to XADDs for good.
 *
 * A reply reader that has just resumed callers holds the batch (`hold`) and takes it along with its
 * next XREAD (`sendBefore`): requests and read then leave in one write on the reader's connection,
 * a write and a wake-up of Redis less per round of calls. Redis answers the appends before it
 * blocks on the read, so they settle as promptly as on the command connection.
 */
export class AppendBatcher extends HeldBatch<OutgoingEntry> {
  /** Entries sent and not yet answered, by the command that carries them; `drain()` waits for none to be left. */
  private readonly unanswered = new Set<OutgoingEntry | OutgoingEntry[]>();
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly connection: () => RedisConnection,
    private readonly scripts: ScriptSupport,
    /** Slots of keys, on a Redis Cluster only: a script call may only touch keys of one slot there. */
    private readonly slots?: KeySlots,
  ) {
    super();
  }

  /** Queues an entry; its `settle` is called once Redis accepted or refused it (or `abandon` gave up on it). */
  append(entry: OutgoingEntry): void {
    this.add(entry);
  }

  /**
   * Sends the queued entries on `connection` followed by the command `read` issues, in one socket
   * write, and returns that command's reply. A script missing from Redis's cache is sent again on
   * the command connection, never behind the read. On a cluster, or a connection that is not
   * ready, the entries go on the command connection as they would without a read.
   */
  sendBefore<T>(connection: RedisConnection, read: () => Promise<T>): Promise<T> {
    const batch = this.take();
    const socket = corkableSocket(connection);
    if (socket === undefined) {
      if (batch.length > 0) this.sendBatch(batch);
      return read();
    }
    socket.cork();
    try {
      if (batch.length > 0) this.appendAll(batch, connection);
      return read();
    } finally {
      socket.uncork();
    }
  }

  /** Resolves when everything queued so far has been sent and answered. */
  drain(): Promise<void> {
    this.flush(true);
    if (this.unanswered.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Settles every entry still queued or unanswered with `error`, at once: the connection is being
   * closed and Redis's answer, if it ever comes, will not be waited for. An answer arriving later
   * settles nothing twice (`settle` is the caller's and ignores a second call).
   */
  abandon(error: Error): void {
    const queued = this.take();
    for (const entry of queued) entry.settle(error);
    for (const sent of this.unanswered) for (const entry of Array.isArray(sent) ? sent : [sent]) entry.settle(error);
    this.unanswered.clear();
    this.wakeDrainWaiters();
  }

  protected sendBatch(batch: OutgoingEntry[]): void {
    if (this.slots === undefined || this.slots.allIn(batch, (entry) => [entry.streamKey])) {
      this.appendAll(batch);
      return;
    }
    // One call per command-stream slot: services spread over a cluster's masters.
    for (const entries of this.slots.group(batch, (entry) => entry.streamKey).values()) this.appendAll(entries);
  }

  /** Appends entries whose keys share a slot, on `connection`: one script call per chunk, or XADDs. */
  private appendAll(batch: OutgoingEntry[], connection = this.connection()): void {
    if (batch.length === 1 || !this.scripts.enabled) {
      for (const entry of batch) this.appendOne(entry, connection);
      return;
    }
    for (const chunk of chunked(batch, MAX_SCRIPT_BATCH)) this.appendScripted(chunk, connection);
  }

  private appendScripted(batch: OutgoingEntry[], connection: RedisConnection): void {
    this.unanswered.add(batch);
    this.send(() => APPEND_ENTRIES_SCRIPT.run(connection, appendEntriesCall(batch), this.connection())).then(
      (reply) => {
        if (this.answered(batch)) settleBatch(batch, reply);
      },
      (error: Error) => {
        if (!this.unanswered.has(batch)) return;
        if (isScriptRefusedError(error)) {
          // Nothing ran: send the same entries one by one, and from now on always.
          this.scripts.refuse(error);
          for (const entry of batch) this.appendOne(entry);
          this.answered(batch);
          return;
        }
        this.answered(batch);
        for (const entry of batch) entry.settle(error);
      },
    );
  }

  private appendOne(entry: OutgoingEntry, connection = this.connection()): void {
    this.unanswered.add(entry);
    this.send(() => appendEntry(connection, entry.streamKey, entry.envelope, entry.replyTo, entry.metadata)).then(
      () => {
        if (this.answered(entry)) entry.settle();
      },
      (error: Error) => {
        if (this.answered(entry)) entry.settle(error);
      },
    );
  }

  /** Sends a write; on a cluster, again with backoff while a failover is in its way. */
  private send<T>(write: () => Promise<T>): Promise<T> {
    return this.slots === undefined ? write() : retryingFailover(write);
  }

  /** Marks a command answered; false when it was abandoned meanwhile (its entries are settled already). */
  private answered(sent: OutgoingEntry | OutgoingEntry[]): boolean {
    if (!this.unanswered.delete(sent)) return false;
    if (this.unanswered.size === 0) this.wakeDrainWaiters();
    return true;
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Settles every entry of a scripted batch: those the script reports failed with Redis's message, the rest as written. */
function settleBatch(batch: readonly OutgoingEntry[], reply: unknown): void {
  const failures = parseScriptFailures(reply);
  const errors = new Map<number, Error>();
  for (const failure of failures) errors.set(Number(failure.at) - 1, new Error(failure.message));
  for (let i = 0; i < batch.length; i += 1) batch[i].settle(errors.get(i));
}

import type { LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APPEND_ENTRIES_SCRIPT, appendEntriesCall, appendEntry, type OutgoingEntry } from './scripts/append-entries.script.js';
import { chunked, isScriptRefusedError, MAX_SCRIPT_BATCH, parseScriptFailures } from './scripts/redis-script.js';

/**
 * Collects the requests and notifications a client sends within one tick (a batch of replies
 * resumes many callers at once, and each sends its next call) and appends them with one script
 * call instead of one XADD each. A lone entry goes out as a plain XADD, which costs Redis less
 * than a script. Where Redis refuses scripts (ACL, scripting disabled) it falls back to XADDs for good.
 */
export class AppendBatcher {
  private batch: OutgoingEntry[] = [];
  private scheduled = false;
  private scripted = true;
  /** Commands sent and not yet answered; `drain()` waits for them to reach 0. */
  private outstanding = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly connection: () => Redis,
    private readonly logger: LoggerService,
  ) {}

  /** Queues an entry; its `settle` is called once Redis accepted or refused it. */
  append(entry: OutgoingEntry): void {
    this.batch.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Resolves when everything queued so far has been sent and answered. */
  drain(): Promise<void> {
    if (this.batch.length > 0) this.flush();
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    if (batch.length === 1 || !this.scripted) {
      for (const entry of batch) this.appendOne(entry);
      return;
    }
    for (const chunk of chunked(batch, MAX_SCRIPT_BATCH)) this.appendScripted(chunk);
  }

  private appendScripted(batch: OutgoingEntry[]): void {
    this.outstanding += 1;
    APPEND_ENTRIES_SCRIPT.run(this.connection(), appendEntriesCall(batch)).then(
      (reply) => {
        settleBatch(batch, reply);
        this.answered();
      },
      (error: Error) => {
        if (!isScriptRefusedError(error)) {
          for (const entry of batch) entry.settle(error);
          this.answered();
          return;
        }
        // Nothing ran: send the same entries one by one, and from now on always.
        if (this.scripted) {
          this.scripted = false;
          this.logger.warn(
            `Redis refused the batching script (${error.message}); appending entries one XADD at a time. ` +
              'Grant +evalsha and +eval to batch them (README, "Security").',
          );
        }
        for (const entry of batch) this.appendOne(entry);
        this.answered();
      },
    );
  }

  private appendOne(entry: OutgoingEntry): void {
    this.outstanding += 1;
    appendEntry(this.connection(), entry.streamKey, entry.envelope, entry.replyTo).then(
      () => {
        entry.settle();
        this.answered();
      },
      (error: Error) => {
        entry.settle(error);
        this.answered();
      },
    );
  }

  private answered(): void {
    this.outstanding -= 1;
    if (this.outstanding > 0 || this.drainWaiters.length === 0) return;
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

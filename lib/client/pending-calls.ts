import type { JsonRpcId } from '../protocol/envelopes.js';

/** A call waiting for its reply. */
export interface PendingCall {
  readonly id: string;
  /** `service.method`, for error messages. */
  readonly method: string;
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  /** The deadline queue holding the call while it is pending; unset once settled (set by `PendingCalls`). */
  queue?: DeadlineQueue;
}

/** Calls that share one timeout, in the order they were made: their deadlines are in order too. */
export class DeadlineQueue {
  /** Slots before `head` are emptied, so that a settled call is not kept alive by the queue. */
  calls: Array<PendingCall | undefined> = [];
  head = 0;
  /** Calls in `calls` (at or after `head`) that settled and wait to be discarded. */
  settled = 0;
}

/** Settled calls a queue may keep before it is compacted, at the least. */
const COMPACT_MIN = 4096;

/**
 * The calls a client waits on, by JSON-RPC id, with their deadlines served by a single timer.
 * Nearly every call of a client uses the same timeout, so calls sharing a timeout form a queue whose
 * deadlines are already in order: adding is a push, settling only forgets the id, and the timer
 * needs re-arming only when it fires. Settled calls are discarded from the queues lazily, in bulk.
 */
export class PendingCalls {
  private readonly byId = new Map<string, PendingCall>();
  private readonly queues = new Map<number, DeadlineQueue>();
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;

  constructor(private readonly onTimeout: (call: PendingCall) => void) {}

  get size(): number {
    return this.byId.size;
  }

  add(call: PendingCall): void {
    let queue = this.queues.get(call.timeoutMs);
    if (!queue) this.queues.set(call.timeoutMs, (queue = new DeadlineQueue()));
    const { calls } = queue;
    const last = calls.length > queue.head ? calls[calls.length - 1] : undefined;
    if (last === undefined || last.deadline <= call.deadline) {
      calls.push(call);
    } else {
      // A call that waited for the connection keeps the deadline it was made with: put it in order.
      let at = calls.length - 1;
      while (at > queue.head && (calls[at - 1] as PendingCall).deadline > call.deadline) at -= 1;
      calls.splice(at, 0, call);
    }
    call.queue = queue;
    this.byId.set(call.id, call);
    if (call.deadline < this.timerDeadline) this.armTimer(call.deadline);
  }

  /** Removes and returns the call with this id, if still pending. */
  take(id: JsonRpcId): PendingCall | undefined {
    const call = this.byId.get(String(id));
    if (!call) return undefined;
    this.byId.delete(call.id);
    const queue = call.queue as DeadlineQueue;
    call.queue = undefined;
    queue.settled += 1;
    // Replies come back about in call order: discarding settled calls from the head at once keeps
    // the queue about as long as what is pending, so that settled calls die young (cheap to collect).
    this.discardSettledHead(queue);
    if (queue.settled >= COMPACT_MIN && queue.settled * 2 > queue.calls.length - queue.head) this.compact(queue);
    // Nothing pending: drop the queues at once; the armed timer finds nothing when it fires.
    if (this.byId.size === 0) this.queues.clear();
    return call;
  }

  /** Removes and returns every pending call. */
  takeAll(): PendingCall[] {
    const calls = [...this.byId.values()];
    this.clear();
    return calls;
  }

  private clear(): void {
    for (const call of this.byId.values()) call.queue = undefined;
    this.byId.clear();
    this.queues.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadline = Infinity;
  }

  private discardSettledHead(queue: DeadlineQueue): void {
    const { calls } = queue;
    while (queue.head < calls.length && (calls[queue.head] as PendingCall).queue !== queue) {
      calls[queue.head] = undefined;
      queue.head += 1;
      queue.settled -= 1;
    }
    if (queue.head >= COMPACT_MIN) this.compact(queue);
  }

  private compact(queue: DeadlineQueue): void {
    queue.calls = queue.calls.slice(queue.head).filter((call) => call?.queue === queue);
    queue.head = 0;
    queue.settled = 0;
  }

  private expire(): void {
    this.timer = undefined;
    this.timerDeadline = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [timeoutMs, queue] of this.queues) {
      const { calls } = queue;
      while (queue.head < calls.length) {
        const call = calls[queue.head] as PendingCall;
        if (call.queue === queue) {
          if (call.deadline > now) break;
          this.byId.delete(call.id);
          call.queue = undefined;
          this.onTimeout(call);
        } else {
          queue.settled -= 1;
        }
        calls[queue.head] = undefined;
        queue.head += 1;
      }
      if (queue.head === calls.length) {
        this.queues.delete(timeoutMs);
        continue;
      }
      if (queue.head > COMPACT_MIN) this.compact(queue);
      next = Math.min(next, (queue.calls[queue.head] as PendingCall).deadline);
    }
    if (next !== Infinity) this.armTimer(next);
  }

  private armTimer(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDeadline = deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(0, deadline - Date.now()));
    // The client's connections keep the process alive while calls are pending; this timer need not.
    this.timer.unref();
  }
}

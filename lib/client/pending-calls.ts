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
  /** Position in the deadline heap; -1 once removed. */
  heapIndex: number;
}

/**
 * The calls a client waits on, by JSON-RPC id, with their deadlines in one binary min-heap served
 * by a single timer: no timer per call, and a call's slot is freed as soon as it settles.
 */
export class PendingCalls {
  private readonly byId = new Map<string, PendingCall>();
  private readonly heap: PendingCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;

  constructor(private readonly onTimeout: (call: PendingCall) => void) {}

  get size(): number {
    return this.byId.size;
  }

  add(call: Omit<PendingCall, 'heapIndex'>): void {
    const entry = call as PendingCall;
    entry.heapIndex = this.heap.length;
    this.byId.set(entry.id, entry);
    this.heap.push(entry);
    this.siftUp(entry.heapIndex);
    this.armTimer();
  }

  /** Removes and returns the call with this id, if still pending. */
  take(id: JsonRpcId): PendingCall | undefined {
    const call = this.byId.get(String(id));
    if (!call) return undefined;
    this.byId.delete(call.id);
    this.removeFromHeap(call);
    return call;
  }

  /** Removes and returns every pending call. */
  takeAll(): PendingCall[] {
    const calls = [...this.byId.values()];
    this.byId.clear();
    this.heap.length = 0;
    this.clearTimer();
    return calls;
  }

  private expire(): void {
    this.clearTimer();
    const now = Date.now();
    while (this.heap.length > 0 && this.heap[0].deadline <= now) {
      const call = this.heap[0];
      this.byId.delete(call.id);
      this.removeFromHeap(call);
      this.onTimeout(call);
    }
    this.armTimer();
  }

  private armTimer(): void {
    const next = this.heap[0];
    if (!next) return this.clearTimer();
    if (this.timer && this.timerDeadline <= next.deadline) return;
    this.clearTimer();
    this.timerDeadline = next.deadline;
    this.timer = setTimeout(() => this.expire(), Math.max(0, next.deadline - Date.now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadline = Infinity;
  }

  private removeFromHeap(call: PendingCall): void {
    const index = call.heapIndex;
    if (index < 0) return;
    call.heapIndex = -1;
    const last = this.heap.pop() as PendingCall;
    if (index < this.heap.length) {
      this.heap[index] = last;
      last.heapIndex = index;
      this.siftDown(index);
      this.siftUp(last.heapIndex);
    }
    if (this.heap.length === 0) this.clearTimer();
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent].deadline <= heap[index].deadline) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && heap[left].deadline < heap[smallest].deadline) smallest = left;
      if (right < heap.length && heap[right].deadline < heap[smallest].deadline) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    [heap[a], heap[b]] = [heap[b], heap[a]];
    heap[a].heapIndex = a;
    heap[b].heapIndex = b;
  }
}

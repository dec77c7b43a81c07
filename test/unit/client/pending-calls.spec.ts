import { jest } from '@jest/globals';
import { type DeadlineQueue, type PendingCall, PendingCalls } from '../../../lib/client/pending-calls.js';

const START = 1_700_000_000_000;

interface Expiry {
  readonly id: string;
  readonly at: number;
  readonly deadline: number;
}

/** A PendingCalls whose timeouts are recorded with the (fake) time they fired at. */
function pendingCalls(onTimeout?: (call: PendingCall, calls: PendingCalls) => void) {
  const expired: Expiry[] = [];
  const calls: PendingCalls = new PendingCalls((call) => {
    expired.push({ id: call.id, at: Date.now(), deadline: call.deadline });
    onTimeout?.(call, calls);
  });
  const add = (id: string, timeoutMs: number, deadline = Date.now() + timeoutMs) => {
    calls.add({ id, method: 'svc.method', timeoutMs, deadline, resolve: () => undefined, reject: () => undefined });
  };
  return { calls, add, expired, expiredIds: () => expired.map((e) => e.id) };
}

/** A small deterministic pseudo-random generator (mulberry32), so failures replay. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PendingCalls', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: START });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('times calls out in deadline order, each at its own deadline', () => {
    const { calls, add, expired } = pendingCalls();
    add('c', 300);
    add('a', 100);
    add('b', 200);
    expect(calls.size).toBe(3);

    jest.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ id: 'a', at: START + 100, deadline: START + 100 }]);
    jest.advanceTimersByTime(200);
    expect(expired).toEqual([
      { id: 'a', at: START + 100, deadline: START + 100 },
      { id: 'b', at: START + 200, deadline: START + 200 },
      { id: 'c', at: START + 300, deadline: START + 300 },
    ]);
    expect(calls.size).toBe(0);
  });

  it('uses a single timer however many calls wait', () => {
    const { add } = pendingCalls();
    expect(jest.getTimerCount()).toBe(0);
    for (let i = 0; i < 1000; i += 1) add(`call-${i}`, 1 + ((i * 7919) % 5000));
    expect(jest.getTimerCount()).toBe(1);
  });

  it('re-arms its timer for a call that expires before the earliest one', () => {
    const { add, expiredIds } = pendingCalls();
    add('slow', 10_000);
    add('fast', 10);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10);
    expect(expiredIds()).toEqual(['fast']);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(9_990);
    expect(expiredIds()).toEqual(['fast', 'slow']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('times out at once a call whose deadline has already passed', () => {
    const { add, expired } = pendingCalls();
    add('late', 5, Date.now() - 1);
    jest.advanceTimersByTime(0);
    expect(expired).toEqual([{ id: 'late', at: START, deadline: START - 1 }]);
  });

  it('times out calls with the same deadline together', () => {
    const { calls, add, expiredIds } = pendingCalls();
    for (const id of ['x', 'y', 'z']) add(id, 50);
    jest.advanceTimersByTime(50);
    expect(expiredIds().sort()).toEqual(['x', 'y', 'z']);
    expect(calls.size).toBe(0);
  });

  it('take() removes a call and returns it; it never times out afterwards', () => {
    const { calls, add, expiredIds } = pendingCalls();
    add('a', 100);
    add('b', 200);
    const taken = calls.take('a');
    expect(taken).toMatchObject({ id: 'a', method: 'svc.method', timeoutMs: 100, deadline: START + 100 });
    expect(calls.size).toBe(1);
    expect(calls.take('a')).toBeUndefined();
    expect(calls.take('never-added')).toBeUndefined();
    jest.advanceTimersByTime(1_000);
    expect(expiredIds()).toEqual(['b']);
  });

  it('take() finds a call by an integer id equal to its string id', () => {
    const { calls, add } = pendingCalls();
    add('7', 100);
    expect(calls.take(7)?.id).toBe('7');
    expect(calls.size).toBe(0);
  });

  it('keeps timing the rest out at their deadlines after the earliest call was taken', () => {
    const { calls, add, expired } = pendingCalls();
    add('first', 100);
    add('second', 500);
    calls.take('first');
    jest.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(400);
    expect(expired).toEqual([{ id: 'second', at: START + 500, deadline: START + 500 }]);
  });

  it('keeps one timer for a run of calls with the same timeout, instead of one per call', () => {
    const { calls, add, expiredIds } = pendingCalls();
    for (let i = 0; i < 1000; i += 1) {
      add(`c${i}`, 100);
      expect(jest.getTimerCount()).toBe(1);
      calls.take(`c${i}`);
    }
    expect(calls.size).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(expiredIds()).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takeAll() returns every pending call, clears the timer, and nothing times out later', () => {
    const { calls, add, expiredIds } = pendingCalls();
    add('a', 100);
    add('b', 50);
    add('c', 300);
    const all = calls.takeAll();
    expect(all.map((call) => call.id).sort()).toEqual(['a', 'b', 'c']);
    expect(calls.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1_000);
    expect(expiredIds()).toEqual([]);
    expect(calls.takeAll()).toEqual([]);

    add('d', 10);
    jest.advanceTimersByTime(10);
    expect(expiredIds()).toEqual(['d']);
  });

  it('releases the slot of a call as soon as it settles or times out', () => {
    const { calls, add } = pendingCalls();
    add('a', 10);
    add('b', 20);
    add('c', 30);
    expect(calls.size).toBe(3);
    calls.take('b');
    expect(calls.size).toBe(2);
    jest.advanceTimersByTime(10);
    expect(calls.size).toBe(1);
    jest.advanceTimersByTime(20);
    expect(calls.size).toBe(0);
  });

  it('copes with a timeout handler that takes another call or adds one', () => {
    const { calls, add, expired } = pendingCalls((call, own) => {
      if (call.id === 'a') {
        own.take('b'); // answered while the timeout was being handled
        own.add({
          id: 'd',
          method: 'svc.method',
          timeoutMs: 5,
          deadline: Date.now() + 5,
          resolve: () => undefined,
          reject: () => undefined,
        });
      }
    });
    add('a', 10);
    add('b', 10);
    add('c', 100);
    jest.advanceTimersByTime(10);
    expect(expired.map((e) => e.id)).toEqual(['a']);
    jest.advanceTimersByTime(5);
    expect(expired.map((e) => e.id)).toEqual(['a', 'd']);
    expect(expired[1]).toEqual({ id: 'd', at: START + 15, deadline: START + 15 });
    jest.advanceTimersByTime(85);
    expect(expired.map((e) => e.id)).toEqual(['a', 'd', 'c']);
    expect(calls.size).toBe(0);
  });

  /** Calls the queues still hold (pending or settled and not yet discarded), looked up in the private state. */
  const heldByQueues = (calls: PendingCalls) =>
    [...(calls as unknown as { queues: Map<number, DeadlineQueue> }).queues.values()].reduce(
      (sum, queue) => sum + queue.calls.slice(queue.head).filter(Boolean).length,
      0,
    );

  it('lets go of calls answered in call order at once, so that they die young', () => {
    const { calls, add } = pendingCalls();
    for (let i = 0; i < 10_000; i += 1) {
      add(`call-${i}`, 30_000);
      // 256 in flight, answered in the order they were made.
      if (i >= 256) calls.take(`call-${i - 256}`);
      expect(heldByQueues(calls)).toBeLessThanOrEqual(257);
    }
    expect(calls.size).toBe(256);
  });

  it('holds a bounded number of answered calls behind one that is slow to answer', () => {
    const { calls, add } = pendingCalls();
    add('slow', 30_000);
    let most = 0;
    for (let i = 0; i < 20_000; i += 1) {
      add(`call-${i}`, 30_000);
      if (i >= 16) calls.take(`call-${i - 16}`);
      most = Math.max(most, heldByQueues(calls));
    }
    expect(most).toBeLessThanOrEqual(2 * 4096 + 17);
    expect(calls.take('slow')?.id).toBe('slow');
    jest.advanceTimersByTime(30_000);
    expect(calls.size).toBe(0);
  });

  it.each([1, 2, 3, 4, 5])('keeps the heap consistent under many mixed calls (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const { calls, add, expired } = pendingCalls();
    const deadlines = new Map<string, number>();
    const taken = new Set<string>();
    const expiredSoFar = new Set<string>();
    let seenExpired = 0;
    let next = 0;

    for (let step = 0; step < 400; step += 1) {
      const adds = Math.floor(random() * 8);
      for (let i = 0; i < adds; i += 1) {
        const id = `call-${next++}`;
        // Mixed timeouts: many short, some equal, a few long.
        const timeoutMs = random() < 0.2 ? 1_000 : 1 + Math.floor(random() * (random() < 0.8 ? 300 : 20_000));
        add(id, timeoutMs);
        deadlines.set(id, Date.now() + timeoutMs);
      }
      for (; seenExpired < expired.length; seenExpired += 1) expiredSoFar.add(expired[seenExpired].id);
      const pending = [...deadlines.keys()].filter((id) => !taken.has(id) && !expiredSoFar.has(id));
      const takes = Math.floor(random() * 4);
      for (let i = 0; i < takes && pending.length > 0; i += 1) {
        const [id] = pending.splice(Math.floor(random() * pending.length), 1);
        expect(calls.take(id)?.id).toBe(id);
        taken.add(id);
      }
      jest.advanceTimersByTime(Math.floor(random() * 60));

      // Every call still waiting has a deadline in the future; every other one expired or was taken.
      for (; seenExpired < expired.length; seenExpired += 1) expiredSoFar.add(expired[seenExpired].id);
      const now = Date.now();
      const overdue = pending.filter((id) => !taken.has(id) && !expiredSoFar.has(id) && (deadlines.get(id) as number) <= now);
      expect(overdue).toEqual([]);
      expect(calls.size).toBe(deadlines.size - taken.size - expiredSoFar.size);
      expect(jest.getTimerCount()).toBeLessThanOrEqual(1);
    }
    jest.advanceTimersByTime(25_000);

    const seen = new Set<string>();
    let previous = -Infinity;
    for (const { id, at, deadline } of expired) {
      expect(seen.has(id)).toBe(false); // never twice
      seen.add(id);
      expect(taken.has(id)).toBe(false); // a taken call never times out
      expect(deadline).toBe(deadlines.get(id));
      expect(at).toBe(deadline); // exactly at its own deadline
      expect(at).toBeGreaterThanOrEqual(previous); // in deadline order
      previous = at;
    }
    expect(seen.size + taken.size).toBe(deadlines.size); // every call either timed out or was taken
    expect(calls.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

import { getEventListeners } from 'node:events';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffDelayMs, sleep } from '../../../../lib/streams/connections/backoff.js';

/** The largest delay of an attempt, with the jitter at its top. */
const highest = (attempt: number) => backoffDelayMs(attempt, () => 1);
/** The smallest delay of an attempt, with the jitter at its bottom. */
const lowest = (attempt: number) => backoffDelayMs(attempt, () => 0);

describe('backoffDelayMs', () => {
  it('starts around 100 ms', () => {
    expect(BACKOFF_INITIAL_MS).toBe(100);
    expect(highest(1)).toBe(100);
    expect(lowest(1)).toBe(50);
  });

  it('doubles the step on each attempt', () => {
    expect([1, 2, 3, 4, 5].map(highest)).toEqual([100, 200, 400, 800, 1600]);
    expect([1, 2, 3, 4, 5].map(lowest)).toEqual([50, 100, 200, 400, 800]);
  });

  it('never exceeds 30 s, however many attempts failed', () => {
    expect(highest(9)).toBe(25_600);
    expect(BACKOFF_MAX_MS).toBe(30_000);
    for (const attempt of [10, 11, 20, 21, 50, 1_000, 1e9, Number.MAX_SAFE_INTEGER]) {
      expect({ attempt, delay: highest(attempt) }).toEqual({ attempt, delay: 30_000 });
      expect({ attempt, delay: lowest(attempt) }).toEqual({ attempt, delay: 15_000 });
    }
  });

  it('grows monotonically up to the cap', () => {
    let previous = 0;
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      expect(highest(attempt)).toBeGreaterThanOrEqual(previous);
      previous = highest(attempt);
    }
    expect(previous).toBe(30_000);
  });

  it('treats attempt 0 or less like the first attempt', () => {
    expect(highest(0)).toBe(100);
    expect(highest(-5)).toBe(100);
  });

  it('keeps the jitter within [step/2, step]', () => {
    for (let attempt = 1; attempt <= 16; attempt += 1) {
      const step = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (attempt - 1));
      for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999, 0.9999999]) {
        const delay = backoffDelayMs(attempt, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
      }
      for (let i = 0; i < 200; i += 1) {
        const delay = backoffDelayMs(attempt);
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
      }
    }
  });

  it('spreads the delays of one attempt with the random source', () => {
    const delays = new Set([0, 0.2, 0.4, 0.6, 0.8, 1].map((r) => backoffDelayMs(6, () => r)));
    expect(delays.size).toBe(6);
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    await expect(sleep(5)).resolves.toBeUndefined();
  });

  it('resolves at once when the signal aborts, and clears its timer', async () => {
    const controller = new AbortController();
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const slept = sleep(10 * 60_000, controller.signal);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(timersBefore + 1);
    controller.abort();
    await slept;
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(timersBefore);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('resolves at once for an already aborted signal, without a timer or listener', async () => {
    const signal = AbortSignal.abort();
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const slept = sleep(10 * 60_000, signal);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(timersBefore);
    await slept;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener when the delay elapses', async () => {
    const controller = new AbortController();
    await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

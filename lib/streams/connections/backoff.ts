/** Bounds of the reconnect backoff: about 100 ms at first, never more than 30 s. */
export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 30_000;

/**
 * Capped exponential backoff with full jitter between half and all of the step, so that many
 * workers that lost Redis together do not come back in lockstep.
 * @param attempt 1 for the first retry.
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
  return Math.round(step / 2 + (step / 2) * random());
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

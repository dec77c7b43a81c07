import { backoffDelayMs, sleep } from '../connections/backoff.js';

/** Attempts at most, for a command whose node ioredis could not tell. */
const REDIRECT_ATTEMPTS = 5;

function isRedirect(error: unknown): boolean {
  return error instanceof Error && (error.message.startsWith('MOVED ') || error.message.startsWith('ASK '));
}

/**
 * Runs a cluster command again when it comes back MOVED or ASK. ioredis 5 does not know where the
 * key of XGROUP and XINFO is: on a Cluster it sends them to any node, and when several are
 * auto-pipelined together the pipeline cannot follow their different redirections, so the raw
 * MOVED reaches the caller. Sent again alone, the command is redirected by ioredis as usual.
 * On a single Redis, and with ioredis 6, no command ever comes back MOVED: this costs nothing there.
 */
export async function followingRedirects<T>(command: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await command();
    } catch (error) {
      if (!isRedirect(error) || attempt >= REDIRECT_ATTEMPTS) throw error;
      // A short random pause, so that commands retried together are not auto-pipelined together again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** Attempts at most, for a write that a failover got in the way of (about 3 s of backoff in all). */
export const FAILOVER_ATTEMPTS = 6;

/**
 * True for the errors of a cluster in the middle of a failover or resharding, which go away once a
 * replica is promoted or the slots are moved: CLUSTERDOWN, TRYAGAIN, a MOVED or ASK that ioredis
 * could not follow, and its "Too many Cluster redirections" once its own retries ran out.
 */
export function isFailoverError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK) /.test(error.message) || error.message.startsWith('Too many Cluster redirections');
}

/**
 * Runs a cluster write again, with backoff, while it fails with a failover error, up to
 * `FAILOVER_ATTEMPTS` times. A write that did go in before its answer was lost may go in twice:
 * requests and replies are at-least-once, and a client ignores a second reply to a call.
 */
export async function retryingFailover<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (!isFailoverError(error) || attempt >= FAILOVER_ATTEMPTS) throw error;
      await sleep(backoffDelayMs(attempt));
    }
  }
}

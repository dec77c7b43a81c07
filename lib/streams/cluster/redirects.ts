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

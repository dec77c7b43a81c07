import { FAILOVER_ATTEMPTS, followingRedirects, isFailoverError, retryingFailover } from '../../../../lib/streams/cluster/redirects.js';

/** A write that fails with `errors` in turn, then succeeds; counts its attempts. */
function failing(errors: string[]): { write: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    write: async () => {
      attempts += 1;
      const message = errors[attempts - 1];
      if (message !== undefined) throw new Error(message);
      return 'OK';
    },
    attempts: () => attempts,
  };
}

describe('failover errors', () => {
  it('are CLUSTERDOWN, TRYAGAIN, MOVED, ASK and ioredis running out of redirections; nothing else', () => {
    for (const message of ['CLUSTERDOWN The cluster is down', 'TRYAGAIN Multiple keys request during rehashing', 'MOVED 3999 127.0.0.1:6381', 'ASK 3999 127.0.0.1:6381', 'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN']) {
      expect(isFailoverError(new Error(message))).toBe(true);
    }
    for (const message of ['OOM command not allowed', 'WRONGTYPE Operation against a key', 'NOSCRIPT No matching script', 'Connection is closed.']) {
      expect(isFailoverError(new Error(message))).toBe(false);
    }
  });

  it('retryingFailover sends a write again while a failover is in its way, and not after another error', async () => {
    const recovering = failing(['CLUSTERDOWN The cluster is down', 'TRYAGAIN later']);
    await expect(retryingFailover(recovering.write)).resolves.toBe('OK');
    expect(recovering.attempts()).toBe(3);

    const refused = failing(['OOM command not allowed']);
    await expect(retryingFailover(refused.write)).rejects.toThrow('OOM');
    expect(refused.attempts()).toBe(1);
  });

  it(`retryingFailover gives up after ${FAILOVER_ATTEMPTS} attempts with the last error`, async () => {
    const down = failing(Array.from({ length: FAILOVER_ATTEMPTS }, (_, i) => `CLUSTERDOWN ${i + 1}`));
    await expect(retryingFailover(down.write)).rejects.toThrow(`CLUSTERDOWN ${FAILOVER_ATTEMPTS}`);
    expect(down.attempts()).toBe(FAILOVER_ATTEMPTS);
  }, 15_000);

  it('followingRedirects sends a command again after MOVED or ASK only', async () => {
    const moved = failing(['MOVED 1 127.0.0.1:1', 'ASK 1 127.0.0.1:1']);
    await expect(followingRedirects(moved.write)).resolves.toBe('OK');
    expect(moved.attempts()).toBe(3);
    const down = failing(['CLUSTERDOWN The cluster is down']);
    await expect(followingRedirects(down.write)).rejects.toThrow('CLUSTERDOWN');
    expect(down.attempts()).toBe(1);
  });
});

/** Connection states that `ClamatorServer.status` and `ClamatorClient.status` report. */
export type ClamatorStatus = 'connected' | 'disconnected' | 'reconnecting';

/**
 * Events of the underlying ioredis connection that `on()` can listen to. An ioredis `Cluster`
 * emits the same ones (besides its own, such as `+node` and `-node`).
 */
export type ClamatorConnectionEvents = {
  /** The socket is open (Redis has not answered yet). */
  connect: () => void;
  /** Redis answered: commands run. */
  ready: () => void;
  error: (error: Error) => void;
  /** The socket closed; `reconnecting` or `end` follows. */
  close: () => void;
  /** A reconnect is scheduled in `delayMs`. */
  reconnecting: (delayMs: number) => void;
  /** No more reconnects: the connection was closed, or its retry strategy gave up. */
  end: () => void;
};

/**
 * What `followConnectionStatus` needs of a connection: the shape shared by ioredis `Redis` and
 * `Cluster`, both of which emit an event named after every status they enter.
 */
export interface StatusEmitter {
  readonly status: string;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * The transport status each followed event means. `close` is not followed: ioredis emits
 * `reconnecting` or `end` after it, and which one is what tells.
 */
const STATUS_ON_EVENT = { ready: 'connected', reconnecting: 'reconnecting', end: 'disconnected' } as const satisfies Record<string, ClamatorStatus>;

/**
 * Reports the transport status as `connection` comes and goes, whoever owns it (the transport, or
 * the caller who injected it: a Sentinel-backed `Redis` waiting out a failover, a `Cluster`...).
 * A status equal to the last one reported is not reported again. Returns the function that stops it.
 */
export function followConnectionStatus(connection: StatusEmitter, report: (status: ClamatorStatus) => void): () => void {
  let last: ClamatorStatus | undefined = connection.status === 'ready' ? 'connected' : undefined;
  const listeners = Object.entries(STATUS_ON_EVENT).map(([event, status]) => {
    const listener = () => {
      if (status === last) return;
      last = status;
      report(status);
    };
    connection.on(event, listener);
    return [event, listener] as const;
  });
  return () => {
    for (const [event, listener] of listeners) connection.off(event, listener);
  };
}

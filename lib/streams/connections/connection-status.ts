/** Connection states that `ClamatorServer.status` and `ClamatorClient.status` report. */
export type ClamatorStatus = 'connected' | 'disconnected' | 'reconnecting';

/** Events of the underlying ioredis connection that `on()` can listen to. */
export type ClamatorConnectionEvents = {
  ready: () => void;
  error: (error: Error) => void;
  reconnecting: (delayMs: number) => void;
  end: () => void;
};

import { type AddressInfo, createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A TCP listener that only counts the connections it accepts (it never answers), so a test can
 * tell whether something tried to reach "Redis" at its address without any Redis running.
 */
export class ConnectionWatch {
  /** Remote ports of the accepted connections, in order of acceptance. */
  private readonly acceptedPorts: number[] = [];
  /** Local ports of the watch's own sentinel connections, which are not counted. */
  private readonly sentinelPorts = new Set<number>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.acceptedPorts.push(socket.remotePort ?? -1);
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<ConnectionWatch> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new ConnectionWatch(server);
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Connections accepted so far, not counting the watch's own. */
  get connections(): number {
    return this.acceptedPorts.filter((port) => !this.sentinelPorts.has(port)).length;
  }

  /**
   * Opens one connection of its own and waits until it was accepted. Connections started before
   * it are accepted before it, so once it is counted every earlier attempt has been counted too.
   */
  async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const sentinel = connect((this.server.address() as AddressInfo).port, '127.0.0.1');
    sentinel.on('error', () => undefined);
    await new Promise<void>((resolve) => sentinel.once('connect', () => resolve()));
    const port = sentinel.localPort as number;
    this.sentinelPorts.add(port);
    await this.until(() => this.acceptedPorts.includes(port));
    sentinel.destroy();
  }

  /** Waits until `condition` holds (polling, no fixed delay). */
  async until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`ConnectionWatch: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What the lazy-connection tests need of a transport endpoint (ClamatorServer or ClamatorClient). */
interface Endpoint {
  unwrap(): unknown;
  close(): Promise<unknown> | unknown;
}

/**
 * The construction tests every endpoint shares: building one opens no connection until its
 * command connection is first used, and an injected connection is neither opened nor closed.
 * `afterConstruction` adds the endpoint's own checks on a freshly built instance.
 */
export function describeLazyConnection<T extends Endpoint>(
  create: (options: { keyPrefix: string; redisUrl?: string; redis?: Redis }) => T,
  afterConstruction: (endpoint: T) => void = () => undefined,
): void {
  describe('construction', () => {
    let watch: ConnectionWatch;
    beforeEach(async () => {
      watch = await ConnectionWatch.start();
    });
    afterEach(async () => {
      await watch.close();
    });

    it('does not connect to Redis: the connection opens on first use', async () => {
      const endpoint = create({ keyPrefix: 'app', redisUrl: watch.url });
      await watch.settle();
      expect(watch.connections).toBe(0);
      afterConstruction(endpoint);

      endpoint.unwrap(); // first use of the command connection
      await watch.until(() => watch.connections === 1);
      await endpoint.close();
    });

    it('does not touch an injected connection', async () => {
      const redis = new Redis(watch.url, { lazyConnect: true });
      const endpoint = create({ keyPrefix: 'app', redis });
      await watch.settle();
      expect(watch.connections).toBe(0);
      expect(redis.status).toBe('wait');
      expect(endpoint.unwrap()).toBe(redis);
      await endpoint.close();
      expect(redis.status).toBe('wait'); // an injected connection is never closed by the transport
      redis.disconnect();
    });
  });
}

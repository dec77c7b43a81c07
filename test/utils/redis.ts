import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort, spawnRedis } from './redis-process.mjs';

/** The Redis the global setup started (or `REDIS_URL`). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: jest global setup should have started a redis-server');
  return url;
}

/** A key prefix no other test file or run uses. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomUUID().slice(0, 8)}`;
}

/** Connections opened by a test, closed together in `afterAll`. */
export class TestConnections {
  private readonly connections: Redis[] = [];

  open(options: RedisOptions = {}, url = redisUrl()): Redis {
    const connection = new Redis(url, { maxRetriesPerRequest: 3, ...options });
    this.connections.push(connection);
    return connection;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.connections.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/** Deletes every key under `prefix` (never FLUSHALL: the Redis may not be ours). */
export async function deleteKeys(connection: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await connection.del(...keys);
  } while (cursor !== '0');
}

/** A redis-server of the test's own, which the test may stop, kill and restart. */
export class OwnRedis {
  private child: import('node:child_process').ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;

  private constructor(readonly port: number, private readonly extraArgs: string[]) {}

  static async start(extraArgs: string[] = []): Promise<OwnRedis> {
    const redis = await OwnRedis.reserve(extraArgs);
    await redis.restart();
    return redis;
  }

  /** One on a free port, not started yet (`restart()` starts it): nothing listens there until then. */
  static async reserve(extraArgs: string[] = []): Promise<OwnRedis> {
    return new OwnRedis(await freePort(), extraArgs);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again on the same port, empty. */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    const { child, exited } = await spawnRedis(this.port, this.extraArgs);
    this.child = child;
    this.exited = exited;
  }

  /** The redis-server's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends `signal` to the redis-server: SIGSTOP freezes it (connections stay open, nothing is answered), SIGCONT thaws it. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Kills it with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    // A frozen (SIGSTOPped) server would never act on SIGTERM.
    this.child?.kill('SIGCONT');
    this.child?.kill('SIGTERM');
    await this.exited;
    this.child = undefined;
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

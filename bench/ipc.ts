/**
 * Request/response over the IPC channel between the bench orchestrator and its child processes.
 * The parent sends `{ id, command, args }`; the child answers `{ id, ok, result }` or `{ id, ok: false, error }`.
 */
import type { ChildProcess } from 'node:child_process';

/** A command sent to a child. */
export interface IpcRequest {
  readonly id: number;
  readonly command: string;
  readonly args?: unknown;
}

/** A child's answer to one command. */
export interface IpcResponse {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/** What a child tells the parent once it is ready to take commands. */
export interface ReadyMessage {
  readonly ready: true;
  readonly nestVersion: string;
}

/** Memory of a child process, in bytes. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
}

/** Result of one closed-loop measurement in a client process. */
export interface LoopResult {
  /** Calls completed inside the measurement window. */
  readonly completed: number;
  /** Length of the measurement window, in milliseconds. */
  readonly windowMs: number;
  readonly callsPerSec: number;
  /** Latencies of the calls started inside the window, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
  readonly errors: number;
  /** Calls still unanswered when the client gave up waiting after the window. */
  readonly stuck: number;
  readonly firstError?: string;
  /** Calls completed during the whole command (warm-up and drain included), for CPU per call. */
  readonly totalCompleted: number;
  /** CPU time (user + system) this client process used during the whole command, in microseconds. */
  readonly cpuUs: number;
}

/** Result of one emit burst in a client process. */
export interface EmitResult {
  readonly emitted: number;
  readonly errors: number;
  /** Wall-clock time (ms since the epoch) of the first emit. */
  readonly startedAt: number;
  /** Wall-clock time (ms since the epoch) when the last emit was accepted. */
  readonly finishedAt: number;
}

/** Event counter of a server process. */
export interface EventCount {
  readonly handled: number;
  /** Wall-clock time (ms since the epoch) of the last handled event, 0 when none. */
  readonly lastHandledAt: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Parent side: sends commands to one child and awaits their answers. */
export class ChildChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  readonly ready: Promise<ReadyMessage>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readyTimeoutMs = 60_000,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        for (const { reject } of this.waiting.values()) reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
        this.waiting.clear();
        resolve(code);
      });
    });
    this.ready = new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready`));
      });
      child.on('message', (message: unknown) => {
        const msg = message as Partial<ReadyMessage & IpcResponse>;
        if (msg.ready) {
          clearTimeout(timer);
          resolve(msg as ReadyMessage);
          return;
        }
        if (typeof msg.id !== 'number') return;
        const waiter = this.waiting.get(msg.id);
        if (!waiter) return;
        this.waiting.delete(msg.id);
        if (msg.ok) waiter.resolve(msg.result);
        else waiter.reject(new Error(`${name}: ${msg.error}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Sends `command` and resolves with the child's result; rejects after `timeoutMs`. */
  request<T>(command: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no answer to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, command, args } satisfies IpcRequest);
    });
  }

  /** Asks the child to stop, waits up to `graceMs` for it to exit, then kills it. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    if (this.child.connected) {
      this.request('stop', undefined, graceMs).catch(() => undefined);
    }
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the child at once (SIGKILL) unless it already exited. */
  kill(): void {
    if (this.exitCode === undefined && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** Child side: answers the parent's commands with `handlers`, and exits when the parent goes away. */
export function serveParent(handlers: Record<string, (args: unknown) => unknown>, nestVersion: string): void {
  if (!process.send) throw new Error('This bench process must be started by bench/run.ts (it needs an IPC channel).');
  process.on('disconnect', () => process.exit(2));
  process.on('message', (message: unknown) => {
    const { id, command, args } = message as IpcRequest;
    const handler = handlers[command];
    const answer = (response: IpcResponse) => {
      if (process.connected) process.send?.(response);
    };
    if (!handler) {
      answer({ id, ok: false, error: `unknown command ${command}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(args))
      .then(
        (result) => answer({ id, ok: true, result }),
        (error: unknown) => answer({ id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.send({ ready: true, nestVersion } satisfies ReadyMessage);
}

/** CPU time (user + system) this process used so far, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** This process's memory, in bytes. */
export function memorySample(): MemorySample {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heapUsed, heapTotal };
}

import type { Redis } from 'ioredis';
import { isScriptRefusedError, type RedisScript, type ScriptSupport } from './redis-script.js';

/**
 * Loads scripts into Redis's cache whenever a connection becomes ready: the first time, and after
 * every reconnect, since a restarted Redis has lost them. So no write finds its script missing
 * (which would cost it a second round trip). A refusal (ACL, scripting disabled) switches every
 * writer of the endpoint to plain commands at once.
 */
export class ScriptLoader {
  private attached: { connection: Redis; detach: () => void } | undefined;

  constructor(
    private readonly scripts: readonly RedisScript[],
    private readonly support: ScriptSupport,
  ) {}

  /** Follows `connection` (unless it already does): loads now when it is ready, and on every later `ready`. */
  follow(connection: Redis): void {
    if (this.attached?.connection === connection) return;
    this.stop();
    const load = () => {
      for (const script of this.scripts) {
        script.load(connection).catch((error: unknown) => {
          if (isScriptRefusedError(error)) this.support.refuse(error as Error);
        });
      }
    };
    connection.on('ready', load);
    this.attached = { connection, detach: () => connection.off('ready', load) };
    if (connection.status === 'ready') load();
  }

  /** Stops following the connection (an injected one outlives the endpoint). */
  stop(): void {
    this.attached?.detach();
    this.attached = undefined;
  }
}

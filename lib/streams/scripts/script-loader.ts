import { isCluster, type RedisConnection } from '../connections/redis-connections.js';
import { isScriptRefusedError, type RedisScript, type ScriptSupport } from './redis-script.js';

/**
 * Loads scripts into Redis's cache whenever a connection becomes ready: the first time, and after
 * every reconnect, since a restarted Redis has lost them. So no write finds its script missing
 * (which would cost it a second round trip). A refusal (ACL, scripting disabled) switches every
 * writer of the endpoint to plain commands at once.
 */
export class ScriptLoader {
  private attached: { connection: RedisConnection; detach: () => void } | undefined;

  constructor(
    private readonly scripts: readonly RedisScript[],
    private readonly support: ScriptSupport,
  ) {}

  /** Follows `connection` (unless it already does): loads now when it is ready, and on every later `ready`. */
  follow(connection: RedisConnection): void {
    if (this.attached?.connection === connection) return;
    this.stop();
    const loadOn = (node: RedisConnection) => {
      for (const script of this.scripts) {
        script.load(node).catch((error: unknown) => {
          if (isScriptRefusedError(error)) this.support.refuse(error as Error);
        });
      }
    };
    // A script call runs on the node of its keys' slot: on a cluster every master needs the scripts
    // (a replica promoted later lacks them; its first call then sends the body, NOSCRIPT).
    const load = () => {
      for (const node of isCluster(connection) ? connection.nodes('master') : [connection]) loadOn(node);
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

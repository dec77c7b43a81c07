import type { RedisConnection } from './connections/redis-connections.js';
import type { ClamatorKeys } from '../protocol/keys.js';
import { REMOVE_IDLE_CONSUMER_SCRIPT } from './scripts/remove-idle-consumer.script.js';
import { type StaleSubscriptions, trimAcknowledgedEntries } from './acknowledged-trim.js';
import { isIdleConsumer } from './inspection/stream-operations.js';
import { type ConsumerInfo, type GroupInfo, parseConsumersInfo, parseGroupsInfo } from './stream-replies.js';
import { followingRedirects } from './cluster/redirects.js';

/** A subscription's heartbeat key outlives its last reader by this long, then goes. */
const SUBSCRIPTION_HEARTBEAT_TTL_MS = 7 * 24 * 60 * 60_000;

/**
 * The upkeep of a service's command stream and its consumer groups: trimming, heartbeats of
 * subscriptions, reading the groups and consumers, removing dead consumers. Behind the methods of
 * `ClamatorStreamsService`, which remains the one place stream commands are issued from.
 */
export class GroupMaintenance {
  constructor(
    private readonly connection: () => RedisConnection,
    private readonly keys: ClamatorKeys,
  ) {}

  /** See `ClamatorStreamsService.trimAcknowledged`. */
  trimAcknowledged(service: string, stale?: StaleSubscriptions): Promise<number> {
    const { keys } = this;
    return trimAcknowledgedEntries(this.connection(), keys.commandStream(service), stale && {
      ...stale,
      heartbeatKey: (group) => {
        const subscription = keys.subscriptionOf(group);
        return subscription === undefined ? undefined : keys.subscriptionHeartbeat(service, subscription);
      },
    });
  }

  /** See `ClamatorStreamsService.touchSubscription`. */
  async touchSubscription(service: string, subscription: string): Promise<void> {
    await this.connection().set(this.keys.subscriptionHeartbeat(service, subscription), String(Date.now()), 'PX', SUBSCRIPTION_HEARTBEAT_TTL_MS);
  }

  /** See `ClamatorStreamsService.consumers`. */
  async consumers(service: string, group: string): Promise<ConsumerInfo[]> {
    return parseConsumersInfo(await followingRedirects(() => this.connection().xinfo('CONSUMERS', this.keys.commandStream(service), group)));
  }

  /** See `ClamatorStreamsService.groupStates`. */
  async groupStates(service: string): Promise<GroupInfo[]> {
    try {
      return parseGroupsInfo(await followingRedirects(() => this.connection().xinfo('GROUPS', this.keys.commandStream(service))));
    } catch (error) {
      // Redis restarted empty, or nothing was ever written: no stream, so no group either.
      if (error instanceof Error && /no such key/i.test(error.message)) return [];
      throw error;
    }
  }

  /** See `ClamatorStreamsService.removeIdleConsumers`. */
  async removeIdleConsumers(service: string, idleMs: number, keep: string | undefined, group: string): Promise<string[]> {
    const removed: string[] = [];
    const key = this.keys.commandStream(service);
    for (const consumer of await this.consumers(service, group)) {
      if (consumer.name === keep || !isIdleConsumer(consumer, idleMs)) continue;
      const done = await this.connection().eval(REMOVE_IDLE_CONSUMER_SCRIPT, 1, key, group, consumer.name, idleMs);
      if (Number(done) === 1) removed.push(consumer.name);
    }
    return removed;
  }
}

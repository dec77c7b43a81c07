const SUBSCRIPTION_GROUP_PREFIX = 'subscription:';

/**
 * Every Redis key and group name the transport uses, derived from one literal `keyPrefix`.
 * The prefix is never parsed: any string works.
 */
export class ClamatorKeys {
  private readonly replyPrefix: string;

  constructor(readonly keyPrefix: string) {
    this.replyPrefix = `${keyPrefix}:replies:`;
  }

  /** `<keyPrefix>:cmds:<service>`: the command stream of a service. */
  commandStream(service: string): string {
    return `${this.keyPrefix}:cmds:${service}`;
  }

  /** `<keyPrefix>:replies:<clientInstanceId>`: the reply stream of one client instance. */
  replyStream(clientInstanceId: string): string {
    return this.replyPrefix + clientInstanceId;
  }

  /** `<keyPrefix>:dead:<service>`: entries that could not be handled, kept for inspection. */
  deadLetterStream(service: string): string {
    return `${this.keyPrefix}:dead:${service}`;
  }

  /** The consumer group of a service is named after the service. */
  group(service: string): string {
    return service;
  }

  /** `<service>:<serverInstanceId>`: one server's consumer in a service's group. */
  consumer(service: string, serverInstanceId: string): string {
    return `${service}:${serverInstanceId}`;
  }

  /**
   * `subscription:<name>`: the consumer group of a subscription on a service's command stream. A
   * service's own group is named after the service, whose names cannot hold a `:`, so the two
   * never collide, and the peers, which read only the group named after the service, never see it.
   */
  subscriptionGroup(subscription: string): string {
    return `${SUBSCRIPTION_GROUP_PREFIX}${subscription}`;
  }

  /**
   * `<keyPrefix>:subscription:<service>:<subscription>`: when a reader of that subscription was last
   * alive (ms since epoch), written by its servers while they run, so that a subscription nobody
   * reads for any more can be told from one whose readers are merely quiet.
   */
  subscriptionHeartbeat(service: string, subscription: string): string {
    return `${this.keyPrefix}:subscription:${service}:${subscription}`;
  }

  /** The subscription a subscription group reads for; `undefined` for any other group. */
  subscriptionOf(group: string): string | undefined {
    return this.isSubscriptionGroup(group) ? group.slice(SUBSCRIPTION_GROUP_PREFIX.length) : undefined;
  }

  /** True for the name of a subscription's consumer group. */
  isSubscriptionGroup(group: string): boolean {
    return group.startsWith(SUBSCRIPTION_GROUP_PREFIX);
  }

  /** True when `key` is a reply stream under this prefix, the only keys a server replies to. */
  isReplyStream(key: string): boolean {
    return key.length > this.replyPrefix.length && key.startsWith(this.replyPrefix);
  }
}

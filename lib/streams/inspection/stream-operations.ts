import type { RedisConnection } from '../connections/redis-connections.js';
import type { ClamatorKeys } from '../../protocol/keys.js';
import { SERVICE_NAME_PATTERN } from '../../protocol/names.js';
import type { ConsumerInfo } from '../stream-replies.js';
import { type DeadLetterPage, listDeadLetters } from './dead-letters.js';
import { replayDeadLetters, type ReplayReport } from './dead-letter-replay.js';
import { parseTimeMs } from './inspection-replies.js';
import { scanStreamKeys } from './key-scan.js';
import { inspectReplyStream, isOrphanReplyStream, removeOrphanReplyStream, type ReplyStreamInspection } from './reply-streams.js';
import { inspectService, type ServiceInspection } from './service-inspection.js';

/**
 * True for a consumer that may be removed from its group: it owns no pending entry and has been
 * idle longer than `idleMs`. The one rule for `removeIdleConsumers` and for listing what it would remove.
 */
export function isIdleConsumer(consumer: ConsumerInfo, idleMs: number): boolean {
  return consumer.pending === 0 && consumer.idleMs > idleMs;
}

/**
 * What operators read and repair under one key prefix: services and their groups, consumers,
 * pending entries, lag and dead letters; reply streams; replaying dead letters and removing orphan
 * reply streams. Reached through `ClamatorStreamsService.operations`, so that every stream command
 * still goes out from the streams layer, on its connection. Ages are measured on Redis's clock.
 */
export class StreamOperations {
  constructor(
    private readonly connection: () => RedisConnection,
    private readonly keys: ClamatorKeys,
  ) {}

  /** Redis's clock (TIME), ms since the epoch: what entry ids are written with. */
  async redisTimeMs(): Promise<number> {
    return parseTimeMs(await this.connection().time());
  }

  /**
   * The services under the prefix: every stream `<keyPrefix>:cmds:<service>` whose `<service>` is a
   * valid service name (a longer prefix that happens to start with ours is not a service), sorted.
   */
  async serviceNames(): Promise<string[]> {
    const prefix = this.keys.commandStream('');
    const keys = await scanStreamKeys(this.connection(), prefix);
    return keys.map((key) => key.slice(prefix.length)).filter((service) => SERVICE_NAME_PATTERN.test(service));
  }

  /** One service's command stream, groups, consumers, pending entries, lag and dead letters; `null` when its stream is gone. */
  async inspectService(service: string, nowMs?: number): Promise<ServiceInspection | null> {
    return inspectService(this.connection(), this.keys, service, nowMs ?? (await this.redisTimeMs()));
  }

  /** Every service under the prefix (`serviceNames`), inspected. */
  async inspectServices(): Promise<ServiceInspection[]> {
    const [names, nowMs] = await Promise.all([this.serviceNames(), this.redisTimeMs()]);
    const inspected = await Promise.all(names.map((service) => this.inspectService(service, nowMs)));
    return inspected.filter((service): service is ServiceInspection => service !== null);
  }

  /** Every reply stream under the prefix (`<keyPrefix>:replies:*`) with its length, expiry and last write, sorted by key. */
  async replyStreams(): Promise<ReplyStreamInspection[]> {
    const [keys, nowMs] = await Promise.all([scanStreamKeys(this.connection(), this.keys.replyStream('')), this.redisTimeMs()]);
    const inspected = await Promise.all(keys.map((key) => inspectReplyStream(this.connection(), key, nowMs)));
    return inspected.filter((stream): stream is ReplyStreamInspection => stream !== null);
  }

  /** Reply streams nobody will read: no expiry, and no reply written for longer than `idleMs` (or none). */
  async orphanReplyStreams(idleMs: number): Promise<ReplyStreamInspection[]> {
    return (await this.replyStreams()).filter((stream) => isOrphanReplyStream(stream, idleMs));
  }

  /** Deletes a reply stream if it is still an orphan at that instant (an atomic check and `DEL`); true when deleted. */
  removeOrphanReplyStream(key: string, idleMs: number): Promise<boolean> {
    return removeOrphanReplyStream(this.connection(), key, idleMs);
  }

  /** The oldest `count` dead letters of `service`, with reasons, and how many there are. */
  deadLetters(service: string, count: number): Promise<DeadLetterPage> {
    return listDeadLetters(this.connection(), this.keys, service, count);
  }

  /**
   * Puts dead letters of `service` back on its command stream as new entries (their original
   * fields only), each removed from the dead-letter stream once its copy is stored: those named by
   * `ids`, or all of them. Two replays of the same dead letter at once may both copy it.
   */
  replayDeadLetters(service: string, ids?: readonly string[]): Promise<ReplayReport> {
    return replayDeadLetters(this.connection(), this.keys, service, ids);
  }
}

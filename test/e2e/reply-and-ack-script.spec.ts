/**
 * The reply-and-acknowledge script on real Redis, fed directly: which entries it acknowledges when
 * some replies are refused, across command streams, for each kind of entry.
 */
import type { Redis } from 'ioredis';
import { type HandledEntryWrite, parseReplyAndAckFailures, REPLY_AND_ACK_SCRIPT, replyAndAckCall } from '../../lib/streams/scripts/reply-and-ack.script.js';
import { deleteKeys, TestConnections, uniquePrefix } from '../utils/redis.js';

describe('REPLY_AND_ACK_SCRIPT', () => {
  const connections = new TestConnections();
  const prefix = uniquePrefix('reply-ack-script');
  let redis: Redis;

  beforeAll(() => {
    redis = connections.open();
  });

  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await connections.closeAll();
  });

  /** Creates `service`'s stream and group and delivers `count` entries to consumer `c`; returns their ids. */
  async function delivered(service: string, count: number): Promise<string[]> {
    const key = `${prefix}:cmds:${service}`;
    await redis.xgroup('CREATE', key, service, '$', 'MKSTREAM');
    for (let i = 0; i < count; i += 1) await redis.xadd(key, '*', 'n', String(i));
    const read = (await redis.xreadgroup('GROUP', service, 'c', 'COUNT', count, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    return read[0][1].map(([id]) => id);
  }

  async function pendingIds(service: string): Promise<string[]> {
    const rows = (await redis.xpending(`${prefix}:cmds:${service}`, service, '-', '+', 100)) as [string, ...unknown[]][];
    return rows.map(([id]) => id);
  }

  it('acknowledges every entry whose reply went in, those without a reply, and those marked so; leaves the rest pending and names them', async () => {
    const [a1, a2, a3, a4] = await delivered('a', 4);
    const [b1, b2] = await delivered('b', 2);
    const good = `${prefix}:replies:good`;
    const taken = `${prefix}:replies:taken`;
    await redis.set(taken, 'not a stream');
    const write = (service: string, entryId: string, replyTo?: string, ackWithoutReply = false): HandledEntryWrite => ({
      streamKey: `${prefix}:cmds:${service}`,
      group: service,
      entryId,
      replyTo,
      envelope: replyTo === undefined ? undefined : JSON.stringify({ jsonrpc: '2.0', id: entryId, result: 1 }),
      ackWithoutReply,
    });
    const batch = [
      write('a', a1, good),
      write('b', b1, taken),
      write('a', a2, taken),
      write('a', a3),
      write('b', b2, good),
      write('a', a4, taken, true),
    ];
    const reply = await REPLY_AND_ACK_SCRIPT.run(redis, replyAndAckCall(batch, 1000, 60_000));

    const { unstoredReplies, failedAcks } = parseReplyAndAckFailures(reply);
    expect(unstoredReplies.map(({ entryId }) => entryId).sort()).toEqual([a2, a4, b1].sort());
    expect(unstoredReplies.every(({ message }) => message.startsWith('WRONGTYPE'))).toBe(true);
    expect(failedAcks).toEqual([]);
    expect(await pendingIds('a')).toEqual([a2]);
    expect(await pendingIds('b')).toEqual([b1]);
    const replies = (await redis.xrange(good, '-', '+')) as [string, string[]][];
    expect(replies.map(([, fields]) => JSON.parse(fields[3]).id)).toEqual([a1, b2]);
    expect(await redis.pttl(good)).toBeGreaterThan(0);
    expect(await redis.pttl(taken)).toBe(-1);
  });

  it("acknowledges each group of one command stream in its own name (a service's own group and a subscription's)", async () => {
    const key = `${prefix}:cmds:d`;
    const [id] = await delivered('d', 1);
    await redis.xgroup('CREATE', key, 'subscription:s', '0');
    await redis.xreadgroup('GROUP', 'subscription:s', 'c', 'STREAMS', key, '>');
    const replyTo = `${prefix}:replies:d`;
    const batch: HandledEntryWrite[] = [
      { streamKey: key, group: 'd', entryId: id, replyTo, envelope: '{"jsonrpc":"2.0","id":1,"result":null}', ackWithoutReply: false },
      { streamKey: key, group: 'subscription:s', entryId: id, replyTo: undefined, envelope: undefined, ackWithoutReply: false },
    ];
    expect(await REPLY_AND_ACK_SCRIPT.run(redis, replyAndAckCall(batch, 1000, 60_000))).toEqual([]);
    expect(await pendingIds('d')).toEqual([]);
    expect(await redis.xpending(key, 'subscription:s', '-', '+', 10)).toEqual([]);
  });

  it('acknowledges everything at once when every reply went in', async () => {
    const ids = await delivered('c', 3);
    const replyTo = `${prefix}:replies:c`;
    const batch = ids.map((entryId, i) => ({
      streamKey: `${prefix}:cmds:c`,
      group: 'c',
      entryId,
      replyTo: i === 1 ? undefined : replyTo,
      envelope: i === 1 ? undefined : '{"jsonrpc":"2.0","id":1,"result":null}',
      ackWithoutReply: false,
    }));
    expect(await REPLY_AND_ACK_SCRIPT.run(redis, replyAndAckCall(batch, 1000, 60_000))).toEqual([]);
    expect(await pendingIds('c')).toEqual([]);
    expect(await redis.xlen(replyTo)).toBe(2);
  });
});

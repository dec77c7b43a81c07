import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../../protocol/constants.js';
import { RedisScript, type ScriptCall } from './redis-script.js';

/** What one handled entry leaves to write: maybe a reply, always an acknowledgement. */
export interface HandledEntryWrite {
  readonly streamKey: string;
  readonly group: string;
  readonly entryId: string;
  readonly replyTo: string | undefined;
  readonly envelope: string | undefined;
  /**
   * Acknowledge the entry even when its reply cannot be stored: set for an entry already kept in the
   * dead-letter stream, whose copy is what must not be lost. Otherwise an entry whose reply Redis
   * refuses stays pending, to be delivered again.
   */
  readonly ackWithoutReply: boolean;
}

/** Most ids per XACK inside the script: Lua's `unpack` is bounded by its C stack (about 8000 values). */
export const ACK_CHUNK = 500;

/** How the script treats each entry of a command stream (one character each, in `ARGV`). */
const NO_REPLY = 'n';
const REPLY_THEN_ACK = 'r';
const REPLY_ACK_ANYWAY = 'f';

/**
 * Writes the replies of a batch of handled entries and acknowledges the entries, in one command.
 * Every reply goes in with `MAXLEN ~`, and each reply stream's expiry is refreshed after its first
 * stored reply of the batch. An entry is acknowledged only once its reply is stored: one whose reply
 * Redis refuses (out of memory, a reply key of another type) stays pending and is reported, unless
 * it is marked to be acknowledged regardless. Each write runs under `pcall`, so one failing key
 * neither stops the rest nor goes unreported. When every reply went in (the usual case), the ids are
 * acknowledged straight from `ARGV`, with no per-entry work.
 *
 * KEYS = the reply stream of each reply (repeats allowed), then each command stream to acknowledge on.
 * ARGV = reply MAXLEN, expiry in ms, number of replies n, the n envelopes, then per command stream:
 * its group, its number of entries, one character per entry (`n` no reply, `r` acknowledged once
 * its reply is stored, `f` acknowledged whatever becomes of its reply), and the entry ids. The
 * replies are numbered in the order their entries come in that list.
 * Returns a flat list of failures, three items each: `reply`, entry id, error message (that entry's
 * reply was not stored) or `ack`, command stream, error message.
 */
export const REPLY_AND_ACK_SCRIPT = new RedisScript(
  `
local maxLen, ttlMs, replies = ARGV[1], ARGV[2], tonumber(ARGV[3])
local failed = {}
local stored = {}
local refused = false
local refreshed = {}
for i = 1, replies do
  local key = KEYS[i]
  local added = redis.pcall('XADD', key, 'MAXLEN', '~', maxLen, '*', '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', ARGV[3 + i])
  if type(added) == 'table' and added.err then
    stored[i] = added.err
    refused = true
  else
    stored[i] = true
    if not refreshed[key] then
      refreshed[key] = true
      redis.pcall('PEXPIRE', key, ttlMs)
    end
  end
end
local function ack(key, group, ids, first, last)
  while first <= last do
    local upto = math.min(first + ${ACK_CHUNK - 1}, last)
    local acked = redis.pcall('XACK', key, group, unpack(ids, first, upto))
    if type(acked) == 'table' and acked.err then
      failed[#failed + 1] = 'ack'
      failed[#failed + 1] = key
      failed[#failed + 1] = acked.err
    end
    first = upto + 1
  end
end
local at, reply = 4 + replies, 0
for k = replies + 1, #KEYS do
  local group, count, marks = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2]
  local first = at + 3
  if not refused then
    ack(KEYS[k], group, ARGV, first, first + count - 1)
  else
    local ids = {}
    for e = 1, count do
      local id, mark = ARGV[first + e - 1], string.sub(marks, e, e)
      local outcome = true
      if mark ~= '${NO_REPLY}' then
        reply = reply + 1
        outcome = stored[reply]
      end
      if outcome ~= true then
        failed[#failed + 1] = 'reply'
        failed[#failed + 1] = id
        failed[#failed + 1] = outcome
      end
      if outcome == true or mark == '${REPLY_ACK_ANYWAY}' then ids[#ids + 1] = id end
    end
    ack(KEYS[k], group, ids, 1, #ids)
  end
  at = first + count
end
return failed
`,
  { keyCount: 0, argv: [1, 1000, 0] },
);

/** The writes of one consumer group of one command stream in a batch, in batch order. */
interface StreamWrites {
  readonly streamKey: string;
  readonly group: string;
  readonly writes: HandledEntryWrite[];
}

/** The arguments of `REPLY_AND_ACK_SCRIPT` for a batch. */
export function replyAndAckCall(batch: readonly HandledEntryWrite[], replyStreamMaxLen: number, replyStreamTtlMs: number): ScriptCall {
  // Per stream and group: a service's own group and its subscriptions' share one command stream.
  const byStream: StreamWrites[] = [];
  let last: StreamWrites | undefined;
  for (const write of batch) {
    if (last === undefined || last.streamKey !== write.streamKey || last.group !== write.group) {
      last = byStream.find(({ streamKey, group }) => streamKey === write.streamKey && group === write.group);
      if (last === undefined) byStream.push((last = { streamKey: write.streamKey, group: write.group, writes: [] }));
    }
    last.writes.push(write);
  }
  // Replies are numbered in the order of their entries within the stream groups, as the script reads them.
  const replyKeys: Array<string | number> = [];
  const envelopes: string[] = [];
  const perStream: Array<string | number> = [];
  for (const { group, writes } of byStream) {
    let marks = '';
    for (const write of writes) {
      if (write.replyTo !== undefined && write.envelope !== undefined) {
        replyKeys.push(write.replyTo);
        envelopes.push(write.envelope);
        marks += write.ackWithoutReply ? REPLY_ACK_ANYWAY : REPLY_THEN_ACK;
      } else {
        marks += NO_REPLY;
      }
    }
    perStream.push(group, writes.length, marks);
    for (const write of writes) perStream.push(write.entryId);
  }
  const argv = replyKeys;
  for (const { streamKey } of byStream) argv.push(streamKey);
  const keyCount = argv.length;
  argv.push(replyStreamMaxLen, replyStreamTtlMs, envelopes.length);
  for (const envelope of envelopes) argv.push(envelope);
  for (const item of perStream) argv.push(item);
  return { keyCount, argv };
}

/** What a run of `REPLY_AND_ACK_SCRIPT` could not do. */
export interface ReplyAndAckFailures {
  /** Entries whose reply was not stored, with Redis's error. */
  readonly unstoredReplies: Array<{ readonly entryId: string; readonly message: string }>;
  /** Command streams whose XACK failed, with Redis's error. */
  readonly failedAcks: Array<{ readonly streamKey: string; readonly message: string }>;
}

/** Reads the failure triples `REPLY_AND_ACK_SCRIPT` returns (none in an empty or unexpected reply). */
export function parseReplyAndAckFailures(reply: unknown): ReplyAndAckFailures {
  const failures: ReplyAndAckFailures = { unstoredReplies: [], failedAcks: [] };
  if (!Array.isArray(reply)) return failures;
  for (let i = 0; i + 2 < reply.length; i += 3) {
    const at = String(reply[i + 1]);
    const message = String(reply[i + 2]);
    if (String(reply[i]) === 'reply') failures.unstoredReplies.push({ entryId: at, message });
    else failures.failedAcks.push({ streamKey: at, message });
  }
  return failures;
}

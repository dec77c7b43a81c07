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

/**
 * Writes the replies of a batch of handled entries and acknowledges the entries, in one command.
 * Every reply goes in with `MAXLEN ~`, and each reply stream's expiry is refreshed after its first
 * stored reply of the batch. An entry is acknowledged only once its reply is stored: one whose reply
 * Redis refuses (out of memory, a reply key of another type) stays pending and is reported, unless
 * it is marked to be acknowledged regardless. Each write runs under `pcall`, so one failing key
 * neither stops the rest nor goes unreported.
 *
 * KEYS = the reply stream of each reply (repeats allowed), then each command stream to acknowledge on.
 * ARGV = reply MAXLEN, expiry in ms, number of replies n, the n envelopes, then per command stream:
 * its group, the number of entries, and per entry its id and its reply: 0 for none, i for reply i,
 * -i for reply i when the entry is acknowledged even if that reply fails.
 * Returns a flat list of failures, three items each: `reply`, entry id, error message (that entry's
 * reply was not stored) or `ack`, command stream, error message.
 */
export const REPLY_AND_ACK_SCRIPT = new RedisScript(
  `
local maxLen, ttlMs, replies = ARGV[1], ARGV[2], tonumber(ARGV[3])
local failed = {}
local stored = {}
local refreshed = {}
for i = 1, replies do
  local key = KEYS[i]
  local added = redis.pcall('XADD', key, 'MAXLEN', '~', maxLen, '*', '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', ARGV[3 + i])
  if type(added) == 'table' and added.err then
    stored[i] = added.err
  else
    stored[i] = true
    if not refreshed[key] then
      refreshed[key] = true
      redis.pcall('PEXPIRE', key, ttlMs)
    end
  end
end
local at = 4 + replies
for k = replies + 1, #KEYS do
  local group, count = ARGV[at], tonumber(ARGV[at + 1])
  local ids = {}
  for j = at + 2, at + 2 * count, 2 do
    local ref = tonumber(ARGV[j + 1])
    local outcome = ref ~= 0 and stored[math.abs(ref)] or true
    if outcome ~= true then
      failed[#failed + 1] = 'reply'
      failed[#failed + 1] = ARGV[j]
      failed[#failed + 1] = outcome
    end
    if outcome == true or ref < 0 then ids[#ids + 1] = ARGV[j] end
  end
  for first = 1, #ids, ${ACK_CHUNK} do
    local acked = redis.pcall('XACK', KEYS[k], group, unpack(ids, first, math.min(first + ${ACK_CHUNK - 1}, #ids)))
    if type(acked) == 'table' and acked.err then
      failed[#failed + 1] = 'ack'
      failed[#failed + 1] = KEYS[k]
      failed[#failed + 1] = acked.err
    end
  end
  at = at + 2 + 2 * count
end
return failed
`,
  { keyCount: 0, argv: [1, 1000, 0] },
);

/** The arguments of `REPLY_AND_ACK_SCRIPT` for a batch. */
export function replyAndAckCall(batch: readonly HandledEntryWrite[], replyStreamMaxLen: number, replyStreamTtlMs: number): ScriptCall {
  const replyKeys: string[] = [];
  const envelopes: string[] = [];
  const acks = new Map<string, { group: string; entries: Array<string | number> }>();
  for (const write of batch) {
    let ref = 0;
    if (write.replyTo !== undefined && write.envelope !== undefined) {
      replyKeys.push(write.replyTo);
      envelopes.push(write.envelope);
      ref = write.ackWithoutReply ? -envelopes.length : envelopes.length;
    }
    const ack = acks.get(write.streamKey);
    if (ack) ack.entries.push(write.entryId, ref);
    else acks.set(write.streamKey, { group: write.group, entries: [write.entryId, ref] });
  }
  const argv: Array<string | number> = replyKeys;
  for (const key of acks.keys()) argv.push(key);
  const keyCount = argv.length;
  argv.push(replyStreamMaxLen, replyStreamTtlMs, envelopes.length);
  for (const envelope of envelopes) argv.push(envelope);
  for (const { group, entries } of acks.values()) {
    argv.push(group, entries.length / 2);
    for (const item of entries) argv.push(item);
  }
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

import { FIELD_ENVELOPE, FIELD_TYPE, TYPE_RPC } from '../../protocol/constants.js';
import { RedisScript, type ScriptCall } from './redis-script.js';

/** What one handled entry leaves to write: maybe a reply, always an acknowledgement. */
export interface HandledEntryWrite {
  readonly streamKey: string;
  readonly group: string;
  readonly entryId: string;
  readonly replyTo: string | undefined;
  readonly envelope: string | undefined;
}

/** Most ids per XACK inside the script: Lua's `unpack` is bounded by its C stack (about 8000 values). */
export const ACK_CHUNK = 500;

/**
 * Writes the replies of a batch of handled entries and acknowledges the entries, in one command.
 * Every reply goes in with `MAXLEN ~`, and each reply stream's expiry is refreshed after its first
 * reply of the batch; the acknowledgements follow all replies, so no entry is acknowledged before
 * its reply exists. Each write runs under `pcall`: one failing key (a reply stream that is not a
 * stream, say) neither stops the rest nor leaves the batch half done without a word.
 *
 * KEYS = the reply stream of each reply (repeats allowed), then each command stream to acknowledge on.
 * ARGV = reply MAXLEN, expiry in ms, number of replies n, the n envelopes, then per command
 * stream: its group, the number of ids, the ids.
 * Returns a flat list of failures: key, error message, key, error message...
 */
export const REPLY_AND_ACK_SCRIPT = new RedisScript(`
local maxLen, ttlMs, replies = ARGV[1], ARGV[2], tonumber(ARGV[3])
local failed = {}
local refreshed = {}
local function note(key, result)
  if type(result) == 'table' and result.err then
    failed[#failed + 1] = key
    failed[#failed + 1] = result.err
    return false
  end
  return true
end
for i = 1, replies do
  local key = KEYS[i]
  local added = redis.pcall('XADD', key, 'MAXLEN', '~', maxLen, '*', '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', ARGV[3 + i])
  if note(key, added) and not refreshed[key] then
    refreshed[key] = true
    note(key, redis.pcall('PEXPIRE', key, ttlMs))
  end
end
local at = 4 + replies
for k = replies + 1, #KEYS do
  local group, count = ARGV[at], tonumber(ARGV[at + 1])
  local first, last = at + 2, at + 1 + count
  while first <= last do
    local upto = math.min(first + ${ACK_CHUNK - 1}, last)
    note(KEYS[k], redis.pcall('XACK', KEYS[k], group, unpack(ARGV, first, upto)))
    first = upto + 1
  end
  at = last + 1
end
return failed
`);

/** The arguments of `REPLY_AND_ACK_SCRIPT` for a batch. */
export function replyAndAckCall(batch: readonly HandledEntryWrite[], replyStreamMaxLen: number, replyStreamTtlMs: number): ScriptCall {
  const replyKeys: string[] = [];
  const envelopes: string[] = [];
  const acks = new Map<string, { group: string; ids: string[] }>();
  for (const write of batch) {
    if (write.replyTo !== undefined && write.envelope !== undefined) {
      replyKeys.push(write.replyTo);
      envelopes.push(write.envelope);
    }
    const ack = acks.get(write.streamKey);
    if (ack) ack.ids.push(write.entryId);
    else acks.set(write.streamKey, { group: write.group, ids: [write.entryId] });
  }
  const argv: Array<string | number> = replyKeys;
  for (const key of acks.keys()) argv.push(key);
  const keyCount = argv.length;
  argv.push(replyStreamMaxLen, replyStreamTtlMs, envelopes.length);
  for (const envelope of envelopes) argv.push(envelope);
  for (const { group, ids } of acks.values()) {
    argv.push(group, ids.length);
    for (const id of ids) argv.push(id);
  }
  return { keyCount, argv };
}

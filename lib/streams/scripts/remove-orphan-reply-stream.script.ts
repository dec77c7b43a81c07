/**
 * Deletes a reply stream only if, at that instant, it has no expiry and no reply was written to it
 * for longer than the bound. Run as one script so that a reply a server writes between the check
 * and the `DEL` (its XADD and PEXPIRE) can never be deleted with the stream. A stream without a
 * TTL was not written by this transport's servers since (they refresh the expiry on every reply):
 * it is left by a peer or a client that is gone. The idle bound spares the live clients of peers
 * that never set one.
 *
 * KEYS[1] = reply stream, ARGV[1] = idle bound in ms.
 * Returns 1 when the stream was deleted, else 0.
 */
export const REMOVE_ORPHAN_REPLY_STREAM_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok ~= 'stream' then return 0 end
if redis.call('PTTL', KEYS[1]) ~= -1 then return 0 end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local writtenMs = tonumber(string.match(last[1][1], '^(%d+)'))
  local now = redis.call('TIME')
  local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  if nowMs - writtenMs <= tonumber(ARGV[1]) then return 0 end
end
redis.call('DEL', KEYS[1])
return 1
`;

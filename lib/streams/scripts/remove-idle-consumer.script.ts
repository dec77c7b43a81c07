/**
 * Removes one consumer from a group only if, at that instant, it owns no pending entry and has been
 * idle longer than the bound. Run as one script so that no entry can be delivered to the consumer
 * between the check and `XGROUP DELCONSUMER` (which would drop that entry from the pending list).
 * Before Redis 7.2 a consumer's idle time counts only reads that returned entries, so quiet but
 * live servers may be removed too: harmless, since a consumer comes back on its next delivery.
 *
 * KEYS[1] = stream, ARGV[1] = group, ARGV[2] = consumer, ARGV[3] = idle bound in ms.
 * Returns 1 when the consumer was removed, else 0.
 */
export const REMOVE_IDLE_CONSUMER_SCRIPT = `
local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
for _, consumer in ipairs(consumers) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields['name'] == ARGV[2] then
    if tonumber(fields['pending']) == 0 and tonumber(fields['idle']) > tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
`;

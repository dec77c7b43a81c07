import { FIELD_ENVELOPE, FIELD_METADATA, FIELD_REPLY_TO, FIELD_TYPE, TYPE_RPC } from '../../protocol/constants.js';
import type { RedisConnection } from '../connections/redis-connections.js';
import { RedisScript, type ScriptCall } from './redis-script.js';

/** A request or notification waiting to be appended to its command stream. */
export interface OutgoingEntry {
  readonly streamKey: string;
  readonly envelope: string;
  /** The reply stream of a request; `undefined` for a notification. */
  readonly replyTo: string | undefined;
  /** The JSON text of the entry's metadata; `undefined` for none (no `metadata` field). */
  readonly metadata?: string;
  /** Called once the entry went in (no argument) or could not be written. */
  readonly settle: (error?: Error) => void;
}

/**
 * Appends one request (with `replyTo`) or notification (without) as a plain XADD, the wire's
 * field order, then `metadata` when there is some; resolves with the entry id. The script below
 * writes exactly the same entries.
 */
export async function appendEntry(connection: RedisConnection, streamKey: string, envelope: string, replyTo?: string, metadata?: string): Promise<string> {
  const fields = [FIELD_TYPE, TYPE_RPC, FIELD_ENVELOPE, envelope];
  if (replyTo !== undefined) fields.push(FIELD_REPLY_TO, replyTo);
  if (metadata !== undefined) fields.push(FIELD_METADATA, metadata);
  return (await connection.xadd(streamKey, '*', ...fields)) as string;
}

/**
 * Appends several requests and notifications in one command, each exactly as a lone XADD would
 * write it (same fields, same order). Each XADD runs under `pcall`, so one failing stream does not
 * stop the others and its caller learns which entry failed.
 *
 * KEYS = the command stream of each entry (repeats allowed). ARGV = per entry: the envelope, its
 * reply stream or "" for a notification (a reply stream name is never empty), and its metadata or
 * "" for none (metadata is never empty JSON).
 * Returns a flat list of failures: entry position (1-based), error message, ...
 */
export const APPEND_ENTRIES_SCRIPT = new RedisScript(
  `
local failed = {}
for i = 1, #KEYS do
  local envelope, replyTo, metadata = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  local added
  if metadata == '' then
    if replyTo == '' then
      added = redis.pcall('XADD', KEYS[i], '*', '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', envelope)
    else
      added = redis.pcall('XADD', KEYS[i], '*', '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', envelope, '${FIELD_REPLY_TO}', replyTo)
    end
  else
    local fields = { '${FIELD_TYPE}', '${TYPE_RPC}', '${FIELD_ENVELOPE}', envelope }
    if replyTo ~= '' then
      fields[#fields + 1] = '${FIELD_REPLY_TO}'
      fields[#fields + 1] = replyTo
    end
    fields[#fields + 1] = '${FIELD_METADATA}'
    fields[#fields + 1] = metadata
    added = redis.pcall('XADD', KEYS[i], '*', unpack(fields))
  end
  if type(added) == 'table' and added.err then
    failed[#failed + 1] = i
    failed[#failed + 1] = added.err
  end
end
return failed
`,
  { keyCount: 0, argv: [] },
);

/** The arguments of `APPEND_ENTRIES_SCRIPT` for a batch. */
export function appendEntriesCall(batch: readonly OutgoingEntry[]): ScriptCall {
  const argv: Array<string | number> = [];
  for (const entry of batch) argv.push(entry.streamKey);
  for (const entry of batch) argv.push(entry.envelope, entry.replyTo ?? '', entry.metadata ?? '');
  return { keyCount: batch.length, argv };
}

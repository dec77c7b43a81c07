import type { RedisConnection } from '../connections/redis-connections.js';
import { FIELD_ENVELOPE } from '../../protocol/constants.js';
import type { ClamatorKeys } from '../../protocol/keys.js';
import { type BufferEntry, firstEntryId, parseBufferEntries } from './inspection-replies.js';
import { DEAD_LETTER_FIELDS, deadLetterFieldsStart, envelopeMethod } from './dead-letters.js';

/** Dead letters read per XRANGE while replaying all of them. */
const REPLAY_PAGE_SIZE = 100;

/** One dead letter put back on its command stream. */
export interface ReplayedDeadLetter {
  /** Its id in the dead-letter stream (removed from there). */
  readonly deadLetterId: string;
  /** The id of the new entry in the command stream. */
  readonly entryId: string;
  /** The id the entry had in the command stream before it was dead-lettered. */
  readonly originalEntryId: string | null;
  /** The JSON-RPC `method` of its envelope, when it reads as one. */
  readonly method: string | null;
}

/** What a replay did. */
export interface ReplayReport {
  readonly service: string;
  /** `<keyPrefix>:cmds:<service>`, where the copies went. */
  readonly commandStream: string;
  /** `<keyPrefix>:dead:<service>`, where they came from. */
  readonly deadLetterStream: string;
  /** In dead-letter stream order. */
  readonly replayed: ReplayedDeadLetter[];
  /** Ids asked for that the dead-letter stream does not hold. */
  readonly notFound: string[];
  /** Entries left where they are, and why (not in the dead-letter format). */
  readonly skipped: { readonly deadLetterId: string; readonly reason: string }[];
}

/**
 * A replay that stopped part way (Redis went away, a command failed). `report` holds what was
 * replayed before; the message says where it stopped, and whether that dead letter's copy is
 * already on the command stream (then it must be deleted from the dead-letter stream by hand, or a
 * second replay copies it again).
 */
export class ReplayInterruptedError extends Error {
  override readonly name = 'ReplayInterruptedError';

  constructor(
    readonly report: ReplayReport,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const fieldName = (field: Buffer) => field.toString('latin1');
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The field named `name` of a dead letter's own part (after `dead-reason`), as text. */
function deadField(fields: readonly Buffer[], start: number, name: string): string | null {
  for (let i = start; i + 1 < fields.length; i += 2) if (fieldName(fields[i]) === name) return fields[i + 1].toString('utf8');
  return null;
}

/**
 * Puts one dead letter back: its original fields (everything before `dead-reason`, byte for byte)
 * go to the command stream as a new entry, delivered to every group like any new entry; the dead
 * letter is deleted only once that entry is stored (XADD, then XDEL), so a failure in between
 * leaves a copy in both places, never in neither.
 */
async function replayOne(connection: RedisConnection, commandStream: string, deadLetterStream: string, entry: BufferEntry, report: ReplayReport): Promise<void> {
  const start = deadLetterFieldsStart(entry.fields, fieldName);
  if (start <= 0) {
    report.skipped.push({ deadLetterId: entry.id, reason: start < 0 ? `no ${DEAD_LETTER_FIELDS.reason} field: not a dead letter` : 'no original fields' });
    return;
  }
  const original = entry.fields.slice(0, start);
  let entryId: string;
  try {
    entryId = (await connection.xadd(commandStream, '*', ...original)) as string;
  } catch (error) {
    throw new ReplayInterruptedError(report, `dead letter ${entry.id} was not replayed: ${messageOf(error)}`, { cause: error });
  }
  try {
    await connection.xdel(deadLetterStream, entry.id);
  } catch (error) {
    const message =
      `dead letter ${entry.id} was copied to ${commandStream} as ${entryId} but not removed from ${deadLetterStream} ` +
      `(${messageOf(error)}): delete it there (XDEL) before replaying again, or it is delivered twice`;
    throw new ReplayInterruptedError(report, message, { cause: error });
  }
  let envelope: string | undefined;
  for (let i = 0; i + 1 < original.length; i += 2) if (fieldName(original[i]) === FIELD_ENVELOPE) envelope = original[i + 1].toString('utf8');
  report.replayed.push({
    deadLetterId: entry.id,
    entryId,
    originalEntryId: deadField(entry.fields, start, DEAD_LETTER_FIELDS.entryId),
    method: envelopeMethod(envelope),
  });
}

/** Every dead letter up to `lastId` (those written after the replay began are left for the next one), a page at a time. */
async function* deadLettersUpTo(connection: RedisConnection, key: string, lastId: string): AsyncGenerator<BufferEntry> {
  let from = '-';
  for (;;) {
    const page = parseBufferEntries(await connection.xrangeBuffer(key, from, lastId, 'COUNT', REPLAY_PAGE_SIZE));
    yield* page;
    if (page.length < REPLAY_PAGE_SIZE) return;
    from = `(${page[page.length - 1].id}`;
  }
}

/**
 * Replays the dead letters of `service` named by `ids` (dead-letter stream ids), or all of them
 * when `ids` is undefined. Read with Buffer replies so that every byte goes back as it was. Throws
 * `ReplayInterruptedError`, holding what was done, when it cannot go on.
 */
export async function replayDeadLetters(connection: RedisConnection, keys: ClamatorKeys, service: string, ids?: readonly string[]): Promise<ReplayReport> {
  const commandStream = keys.commandStream(service);
  const deadLetterStream = keys.deadLetterStream(service);
  const report: ReplayReport = { service, commandStream, deadLetterStream, replayed: [], notFound: [], skipped: [] };
  try {
    return await replayInto(report, connection, ids);
  } catch (error) {
    if (error instanceof ReplayInterruptedError) throw error;
    throw new ReplayInterruptedError(report, `reading ${deadLetterStream} failed: ${messageOf(error)}`, { cause: error });
  }
}

async function replayInto(report: ReplayReport, connection: RedisConnection, ids: readonly string[] | undefined): Promise<ReplayReport> {
  const { commandStream, deadLetterStream } = report;
  if (ids === undefined) {
    const lastId = firstEntryId(await connection.xrevrange(deadLetterStream, '+', '-', 'COUNT', 1));
    if (lastId === null) return report;
    for await (const entry of deadLettersUpTo(connection, deadLetterStream, lastId)) {
      await replayOne(connection, commandStream, deadLetterStream, entry, report);
    }
    return report;
  }
  for (const id of new Set(ids)) {
    const [entry] = parseBufferEntries(await connection.xrangeBuffer(deadLetterStream, id, id));
    if (entry) await replayOne(connection, commandStream, deadLetterStream, entry, report);
    else report.notFound.push(id);
  }
  return report;
}

import type { ClamatorStreamsService } from '../../streams/clamator-streams.service.js';
import { ReplayInterruptedError, type ReplayReport } from '../../streams/inspection/dead-letter-replay.js';
import type { CliArguments } from '../argv.js';
import { ExitCode } from '../exit-codes.js';
import type { CliOutput } from '../output.js';
import { formatTable } from '../table.js';
import { plural } from '../units.js';
import { PROGRAM } from '../usage.js';

/**
 * `replay SERVICE [--id ID ...]`: dead letters back onto the command stream. Fails (exit 1) when
 * an id asked for is not there or an entry could not be replayed, after replaying the others; a
 * replay that stops part way still reports what it did, and where it stopped.
 */
export async function runReplay(streams: ClamatorStreamsService, args: CliArguments & { command: 'replay' }, output: CliOutput): Promise<ExitCode> {
  let report: ReplayReport;
  let stopped: string | undefined;
  try {
    report = await streams.operations.replayDeadLetters(args.service, args.ids);
  } catch (error) {
    if (!(error instanceof ReplayInterruptedError)) throw error;
    report = error.report;
    stopped = error.message;
  }
  if (args.json) output.json(stopped === undefined ? report : { ...report, error: { message: stopped } });
  else output.print(renderReplay(report));
  if (stopped !== undefined) output.error(`${PROGRAM} replay: stopped: ${stopped}`);
  return stopped !== undefined || report.notFound.length > 0 || report.skipped.length > 0 ? ExitCode.failure : ExitCode.ok;
}

/** What was replayed as a table, then what was not found or left alone. */
export function renderReplay(report: ReplayReport): string {
  const lines: string[] = [];
  if (report.replayed.length === 0) lines.push(`Replayed nothing from ${report.deadLetterStream}.`);
  else {
    lines.push(`Replayed ${plural(report.replayed.length, 'dead letter')} of "${report.service}" onto ${report.commandStream}:`);
    lines.push(
      formatTable(
        [{ header: 'DEAD LETTER ID' }, { header: 'NEW ENTRY ID' }, { header: 'ORIGINAL ENTRY ID' }, { header: 'METHOD' }],
        report.replayed.map((r) => [r.deadLetterId, r.entryId, r.originalEntryId ?? '-', r.method ?? '-']),
      ),
    );
  }
  if (report.notFound.length > 0) lines.push(`Not found in ${report.deadLetterStream}: ${report.notFound.join(', ')}`);
  for (const skipped of report.skipped) lines.push(`Left in ${report.deadLetterStream}: ${skipped.deadLetterId}: ${skipped.reason}`);
  return lines.join('\n');
}

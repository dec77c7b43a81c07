import type { ClamatorStreamsService } from '../../streams/clamator-streams.service.js';
import type { DeadLetterPage } from '../../streams/inspection/dead-letters.js';
import type { CliArguments } from '../argv.js';
import { ExitCode } from '../exit-codes.js';
import type { CliOutput } from '../output.js';
import { formatTable } from '../table.js';
import { formatCount, formatTimeMs } from '../units.js';

/** `dead-letters SERVICE`: the oldest `--count` dead letters of a service, with their reasons. */
export async function runDeadLetters(
  streams: ClamatorStreamsService, args: CliArguments & { command: 'dead-letters' }, output: CliOutput,
): Promise<ExitCode> {
  const page = await streams.operations.deadLetters(args.service, args.count);
  if (args.json) {
    // The time also as ISO 8601, for people reading the JSON.
    output.json({ ...page, deadLetters: page.deadLetters.map((d) => ({ ...d, deadAt: d.deadAtMs === null ? null : formatTimeMs(d.deadAtMs) })) });
  } else {
    output.print(renderDeadLetters(page));
  }
  return ExitCode.ok;
}

/** A dead-letter page as a table, oldest first, with a line saying how many there are. */
export function renderDeadLetters(page: DeadLetterPage): string {
  if (page.total === 0) return `No dead letters for "${page.service}" (${page.deadLetterStream} is empty or missing).`;
  const shown = page.deadLetters.length === page.total ? `all ${page.total}` : `the oldest ${page.deadLetters.length} of ${page.total}`;
  const table = formatTable(
    [
      { header: 'ID' }, { header: 'ENTRY ID' }, { header: 'METHOD' }, { header: 'DELIVERIES', align: 'right' },
      { header: 'DEAD AT' }, { header: 'REASON' },
    ],
    page.deadLetters.map((d) => [d.id, d.entryId ?? '-', d.method ?? '-', formatCount(d.deliveries), formatTimeMs(d.deadAtMs), d.reason ?? '(not a dead letter: no dead-reason field)']),
  );
  return `Dead letters of "${page.service}" in ${page.deadLetterStream}: ${shown}\n${table}`;
}

import type { ClamatorStreamsService } from '../../streams/clamator-streams.service.js';
import type { ReplyStreamInspection } from '../../streams/inspection/reply-streams.js';
import type { ServiceInspection } from '../../streams/inspection/service-inspection.js';
import type { CliArguments } from '../argv.js';
import { ExitCode } from '../exit-codes.js';
import type { CliOutput } from '../output.js';
import { formatTable } from '../table.js';
import { formatCount, formatDurationMs } from '../units.js';

/** What `inspect` reports (and prints as is with `--json`). */
export interface InspectReport {
  readonly keyPrefix: string;
  readonly services: ServiceInspection[];
  readonly replyStreams: ReplyStreamInspection[];
}

/** `inspect`: every service under the prefix and every reply stream. */
export async function runInspect(streams: ClamatorStreamsService, args: CliArguments & { command: 'inspect' }, output: CliOutput): Promise<ExitCode> {
  const [services, replyStreams] = await Promise.all([streams.operations.inspectServices(), streams.operations.replyStreams()]);
  const report: InspectReport = { keyPrefix: args.keyPrefix, services, replyStreams };
  if (args.json) output.json(report);
  else output.print(renderInspect(report));
  return ExitCode.ok;
}

function renderServices(services: readonly ServiceInspection[]): string[] {
  const summary = formatTable(
    [{ header: 'SERVICE' }, { header: 'LENGTH', align: 'right' }, { header: 'GROUPS', align: 'right' }, { header: 'PENDING', align: 'right' }, { header: 'DEAD LETTERS', align: 'right' }],
    services.map((s) => [s.service, String(s.length), String(s.groups.length), String(s.groups.reduce((sum, g) => sum + g.pending, 0)), String(s.deadLetters)]),
  );
  const groups = services.flatMap((s) => s.groups.map((g) => ({ service: s.service, group: g })));
  const groupTable = formatTable(
    [
      { header: 'SERVICE' }, { header: 'GROUP' }, { header: 'CONSUMERS', align: 'right' }, { header: 'PENDING', align: 'right' },
      { header: 'OLDEST PENDING', align: 'right' }, { header: 'LAG', align: 'right' },
    ],
    groups.map(({ service, group }) => [
      service, group.name, String(group.consumers.length), String(group.pending),
      formatDurationMs(group.oldestPending?.ageMs), group.lag === null ? 'unknown' : formatCount(group.lag),
    ]),
  );
  const consumers = groups.flatMap(({ service, group }) => group.consumers.map((c) => [service, group.name, c.name, String(c.pending), formatDurationMs(c.idleMs)]));
  const sections = [summary, '', `Groups (${groups.length})`, groupTable, '', `Consumers (${consumers.length})`];
  sections.push(
    consumers.length === 0
      ? 'No consumers.'
      : formatTable([{ header: 'SERVICE' }, { header: 'GROUP' }, { header: 'CONSUMER' }, { header: 'PENDING', align: 'right' }, { header: 'IDLE', align: 'right' }], consumers),
  );
  return sections;
}

/** The report as tables: services, their groups, their consumers, then reply streams. */
export function renderInspect(report: InspectReport): string {
  const lines = [`Services under key prefix "${report.keyPrefix}" (${report.services.length})`];
  if (report.services.length === 0) lines.push(`No services: no ${report.keyPrefix}:cmds:* stream.`);
  else lines.push(...renderServices(report.services));
  lines.push('', `Reply streams (${report.replyStreams.length})`);
  if (report.replyStreams.length === 0) lines.push('No reply streams.');
  else {
    lines.push(
      formatTable(
        [{ header: 'KEY' }, { header: 'LENGTH', align: 'right' }, { header: 'TTL', align: 'right' }, { header: 'LAST REPLY', align: 'right' }],
        report.replyStreams.map((r) => [r.key, String(r.length), r.ttlMs === null ? 'none' : formatDurationMs(r.ttlMs), formatDurationMs(r.lastReplyAgeMs)]),
      ),
    );
  }
  return lines.join('\n');
}

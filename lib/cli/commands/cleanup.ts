import type { ClamatorStreamsService } from '../../streams/clamator-streams.service.js';
import { isIdleConsumer } from '../../streams/inspection/stream-operations.js';
import type { CliArguments } from '../argv.js';
import { ExitCode } from '../exit-codes.js';
import type { CliOutput } from '../output.js';
import { formatTable } from '../table.js';
import { formatDurationMs, plural } from '../units.js';

/** A consumer removed (or, in a dry run, to be removed). */
export interface CleanedConsumer {
  readonly service: string;
  readonly group: string;
  readonly consumer: string;
  /** Its idle time when inspected; `null` when it became idle only after. */
  readonly idleMs: number | null;
}

/** A reply stream removed (or, in a dry run, to be removed). */
export interface CleanedReplyStream {
  readonly key: string;
  readonly length: number;
  readonly lastReplyAgeMs: number | null;
}

/** What `cleanup` did, or with `--dry-run` would do (printed as is with `--json`). */
export interface CleanupReport {
  readonly dryRun: boolean;
  readonly idleMs: number;
  readonly consumers: CleanedConsumer[];
  readonly replyStreams: CleanedReplyStream[];
}

async function idleConsumers(streams: ClamatorStreamsService, idleMs: number, dryRun: boolean): Promise<CleanedConsumer[]> {
  const cleaned: CleanedConsumer[] = [];
  for (const service of await streams.operations.inspectServices()) {
    for (const group of service.groups) {
      const candidates = new Map(group.consumers.filter((c) => isIdleConsumer(c, idleMs)).map((c) => [c.name, c.idleMs]));
      if (candidates.size === 0) continue;
      // The removal itself re-checks each consumer atomically: one that took an entry meanwhile stays.
      const names = dryRun ? [...candidates.keys()] : await streams.removeIdleConsumers(service.service, idleMs, undefined, group.name);
      for (const consumer of names) cleaned.push({ service: service.service, group: group.name, consumer, idleMs: candidates.get(consumer) ?? null });
    }
  }
  return cleaned;
}

async function orphanReplyStreams(streams: ClamatorStreamsService, idleMs: number, dryRun: boolean): Promise<CleanedReplyStream[]> {
  const cleaned: CleanedReplyStream[] = [];
  for (const stream of await streams.operations.orphanReplyStreams(idleMs)) {
    // Also an atomic re-check: a stream a server replied to meanwhile (and gave a TTL) stays.
    if (dryRun || (await streams.operations.removeOrphanReplyStream(stream.key, idleMs))) {
      cleaned.push({ key: stream.key, length: stream.length, lastReplyAgeMs: stream.lastReplyAgeMs });
    }
  }
  return cleaned;
}

/**
 * `cleanup [--idle-ms MS] [--dry-run]`: removes consumers idle longer than the bound that own
 * nothing pending (in every group of every service), and reply streams without a TTL that got no
 * reply for that long.
 */
export async function runCleanup(streams: ClamatorStreamsService, args: CliArguments & { command: 'cleanup' }, output: CliOutput): Promise<ExitCode> {
  const { idleMs, dryRun } = args;
  const report: CleanupReport = {
    dryRun,
    idleMs,
    consumers: await idleConsumers(streams, idleMs, dryRun),
    replyStreams: await orphanReplyStreams(streams, idleMs, dryRun),
  };
  if (args.json) output.json(report);
  else output.print(renderCleanup(report));
  return ExitCode.ok;
}

/** The report as two tables, worded for a dry run or a real one. */
export function renderCleanup(report: CleanupReport): string {
  const verb = report.dryRun ? 'Would remove' : 'Removed';
  const bound = formatDurationMs(report.idleMs);
  const lines: string[] = [];
  if (report.consumers.length === 0) lines.push(`No consumers idle over ${bound} with nothing pending.`);
  else {
    lines.push(`${verb} ${plural(report.consumers.length, 'consumer')} idle over ${bound} with nothing pending:`);
    lines.push(
      formatTable(
        [{ header: 'SERVICE' }, { header: 'GROUP' }, { header: 'CONSUMER' }, { header: 'IDLE', align: 'right' }],
        report.consumers.map((c) => [c.service, c.group, c.consumer, formatDurationMs(c.idleMs)]),
      ),
    );
  }
  lines.push('');
  if (report.replyStreams.length === 0) lines.push(`No reply streams without a TTL and without a reply for over ${bound}.`);
  else {
    lines.push(`${verb} ${plural(report.replyStreams.length, 'reply stream')} without a TTL and without a reply for over ${bound}:`);
    lines.push(
      formatTable(
        [{ header: 'KEY' }, { header: 'LENGTH', align: 'right' }, { header: 'LAST REPLY', align: 'right' }],
        report.replyStreams.map((r) => [r.key, String(r.length), r.lastReplyAgeMs === null ? 'never' : formatDurationMs(r.lastReplyAgeMs)]),
      ),
    );
  }
  return lines.join('\n');
}

/** How the CLI writes durations and times for people (JSON output keeps raw milliseconds). */

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * A duration in milliseconds, short and to a useful precision: `850ms`, `12.3s`, `4m05s`,
 * `2h03m`, `3d04h`. `-` for `null` or `undefined` (nothing to measure).
 */
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const whole = Math.max(0, Math.round(ms));
  if (whole < SECOND_MS) return `${whole}ms`;
  if (whole < MINUTE_MS) return `${(Math.floor(whole / 100) / 10).toFixed(1)}s`;
  if (whole < HOUR_MS) return `${Math.floor(whole / MINUTE_MS)}m${two(Math.floor((whole % MINUTE_MS) / SECOND_MS))}s`;
  if (whole < DAY_MS) return `${Math.floor(whole / HOUR_MS)}h${two(Math.floor((whole % HOUR_MS) / MINUTE_MS))}m`;
  return `${Math.floor(whole / DAY_MS)}d${two(Math.floor((whole % DAY_MS) / HOUR_MS))}h`;
}

/** A time in ms since the epoch as ISO 8601 (UTC); `-` when unknown. */
export function formatTimeMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString();
}

/** A count, or `-` when unknown. */
export function formatCount(count: number | null | undefined): string {
  return count === null || count === undefined ? '-' : String(count);
}

/** `n thing` or `n things`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

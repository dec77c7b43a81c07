import type { LoggerService } from '@nestjs/common';
import { DEFAULT_LOG_INTERVAL_MS, RateLimitedLog } from '../../../lib/logging/rate-limited-log.js';

/** A logger that keeps its lines, and a clock the test moves by hand. */
function setup(intervalMs?: number) {
  const lines: Array<[level: 'warn' | 'error', message: string]> = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: (message: string) => lines.push(['warn', message]),
    error: (message: string) => lines.push(['error', message]),
  };
  const clock = { nowMs: 1_000_000 };
  const log = new RateLimitedLog(logger, intervalMs, () => clock.nowMs);
  return { lines, clock, log };
}

describe('RateLimitedLog', () => {
  it('writes the first occurrence of a key at once, as given', () => {
    const { lines, log } = setup();
    log.warn('garbage', 'entry 1 is garbage');
    expect(lines).toEqual([['warn', 'entry 1 is garbage']]);
  });

  it('holds back repeats within the interval, then writes one line saying how many were held back', () => {
    const { lines, clock, log } = setup();
    log.warn('garbage', 'entry 0 is garbage');
    for (let i = 1; i <= 123; i += 1) {
      clock.nowMs += 50;
      log.warn('garbage', `entry ${i} is garbage`);
    }
    expect(lines).toHaveLength(1);
    clock.nowMs = 1_000_000 + DEFAULT_LOG_INTERVAL_MS;
    log.warn('garbage', 'entry 124 is garbage');
    expect(lines).toEqual([
      ['warn', 'entry 0 is garbage'],
      ['warn', 'entry 124 is garbage (and 123 more like it in the last 10 s)'],
    ]);
  });

  it('defaults to an interval of 10 s: a repeat just before is held back, one at 10 s is written', () => {
    const { lines, clock, log } = setup();
    log.warn('k', 'first');
    clock.nowMs += 9_999;
    log.warn('k', 'held back');
    clock.nowMs += 1;
    log.warn('k', 'written');
    expect(lines.map(([, message]) => message)).toEqual(['first', 'written (and 1 more like it in the last 10 s)']);
  });

  it('starts a new interval at every written line', () => {
    const { lines, clock, log } = setup(1_000);
    log.warn('k', 'a');
    clock.nowMs += 1_000;
    log.warn('k', 'b');
    clock.nowMs += 500;
    log.warn('k', 'c');
    clock.nowMs += 499;
    log.warn('k', 'd');
    clock.nowMs += 1;
    log.warn('k', 'e');
    expect(lines.map(([, message]) => message)).toEqual(['a', 'b', 'e (and 2 more like it in the last 1 s)']);
  });

  it('writes a repeat after a quiet interval without any count, and counts the real time elapsed', () => {
    const { lines, clock, log } = setup();
    log.warn('k', 'a');
    clock.nowMs += 60_000;
    log.warn('k', 'b');
    clock.nowMs += 1;
    log.warn('k', 'c');
    clock.nowMs += 120_000;
    log.warn('k', 'd');
    expect(lines.map(([, message]) => message)).toEqual(['a', 'b', 'd (and 1 more like it in the last 120 s)']);
  });

  it('limits each key on its own', () => {
    const { lines, clock, log } = setup();
    log.warn('a', 'a1');
    log.warn('b', 'b1');
    log.warn('a', 'a2');
    log.error('c', 'c1');
    log.warn('b', 'b2');
    clock.nowMs += DEFAULT_LOG_INTERVAL_MS;
    log.warn('b', 'b3');
    expect(lines).toEqual([
      ['warn', 'a1'],
      ['warn', 'b1'],
      ['error', 'c1'],
      ['warn', 'b3 (and 1 more like it in the last 10 s)'],
    ]);
  });

  it('writes errors through logger.error, with the same limits', () => {
    const { lines, clock, log } = setup();
    for (let i = 0; i < 5; i += 1) log.error('failed', `failure ${i}`);
    clock.nowMs += DEFAULT_LOG_INTERVAL_MS;
    log.error('failed', 'failure 5');
    expect(lines).toEqual([
      ['error', 'failure 0'],
      ['error', 'failure 5 (and 4 more like it in the last 10 s)'],
    ]);
  });
});

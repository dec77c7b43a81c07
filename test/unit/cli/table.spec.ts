import { formatTable } from '../../../lib/cli/table.js';
import { formatCount, formatDurationMs, formatTimeMs, plural } from '../../../lib/cli/units.js';

describe('formatTable', () => {
  it('aligns every column on its widest cell, numbers to the right, without trailing spaces', () => {
    const table = formatTable(
      [{ header: 'SERVICE' }, { header: 'PENDING', align: 'right' }, { header: 'NOTE' }],
      [
        ['arith', '3', 'x'],
        ['a-much-longer-name', '12345678', ''],
      ],
    );
    expect(table.split('\n')).toEqual([
      'SERVICE              PENDING  NOTE',
      'arith                      3  x',
      'a-much-longer-name  12345678',
    ]);
  });

  it('prints only the header for no rows, and fills short rows with empty cells', () => {
    expect(formatTable([{ header: 'A' }, { header: 'B' }], [])).toBe('A  B');
    expect(formatTable([{ header: 'A' }, { header: 'BB', align: 'right' }], [['long']])).toBe('A     BB\nlong');
  });
});

describe('units', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [999.6, '1.0s'],
    [12_345, '12.3s'],
    [59_999, '59.9s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d04h'],
    [-5, '0ms'],
  ])('formatDurationMs(%p) is %p', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  it('writes unknowns as -', () => {
    expect(formatDurationMs(null)).toBe('-');
    expect(formatDurationMs(undefined)).toBe('-');
    expect(formatTimeMs(null)).toBe('-');
    expect(formatCount(null)).toBe('-');
  });

  it('writes times as ISO 8601 and counts with their noun', () => {
    expect(formatTimeMs(1_700_000_000_000)).toBe('2023-11-14T22:13:20.000Z');
    expect(plural(1, 'consumer')).toBe('1 consumer');
    expect(plural(2, 'reply stream')).toBe('2 reply streams');
  });
});

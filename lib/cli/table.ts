/** One column of a table: its header and how its cells line up. */
export interface Column {
  readonly header: string;
  /** `right` for numbers, so that digits line up. Default: `left`. */
  readonly align?: 'left' | 'right';
}

/** Spaces between two columns. */
const GAP = '  ';

/**
 * Rows as an aligned text table: a header line, then one line per row, each column as wide as its
 * widest cell. No line ends in spaces (the last column is not padded when left-aligned). A row
 * shorter than the columns gets empty cells.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const lines = [columns.map((column) => column.header), ...rows.map((row) => columns.map((_, i) => row[i] ?? ''))];
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : i === columns.length - 1 ? cell : cell.padEnd(widths[i])))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

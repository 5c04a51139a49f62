/** Summaries and tables. Every figure the harness prints goes through here. */

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** Readable numbers: 3 significant digits, thousands grouped. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

export function fmtSummary(s: Summary, digits = 3): string {
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function fmtRatio(s: Summary): string {
  if (!Number.isFinite(s.median)) return '–';
  return `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

export interface Table {
  title: string;
  /** One line under the title: what the rows measure. */
  note?: string;
  columns: string[];
  rows: string[][];
}

/** A Markdown table: readable in a terminal and pasteable into RESULTS.md as is. */
export function renderTable(table: Table): string {
  const lines = [`### ${table.title}`, ''];
  if (table.note) lines.push(table.note, '');
  const widths = table.columns.map((column, i) => Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  lines.push(line(table.columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.rows) lines.push(line(row));
  return `${lines.join('\n')}\n`;
}

/** Rotates `items` by `round`, so that no row always runs first (or last) in a round. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export function renderTargets(targets: readonly Target[]): string {
  return renderTable({
    title: 'Targets',
    columns: ['target', 'result', 'measured'],
    rows: targets.map((t) => [t.name, t.met ? 'met' : 'MISSED', t.detail]),
  });
}

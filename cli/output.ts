// Plain aligned columns for human output (the --json output is the command's return value).
import { escapeControls } from '../api/content/safe-text.ts';

/** A value inside a line of output: every control character escaped, newlines too, so it cannot start a forged line. */
export const inline = (value: unknown): string => (value === null || value === undefined ? '' : escapeControls(String(value)));

export function table(rows: Record<string, unknown>[]): string {
  const first = rows[0];
  if (!first) return '';
  const columns = Object.keys(first);
  const cell = inline;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

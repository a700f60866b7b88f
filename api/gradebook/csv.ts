// The gradebook as CSV for a spreadsheet or the school's SIS. Every field is quoted (a `;` or a
// newline in a name never splits a cell, whatever separator the spreadsheet assumes), and text
// is defused against formula injection, the OWASP advice extended to every place a cell could
// start: a formula trigger (= + - @) at the start of the text, or after anything a spreadsheet
// may split on or trim (`,` `;` `|`, tab, newline, other whitespace, control characters), gets a
// `'` before it. A student named "=HYPERLINK(...)" or "Smith;=cmd|..." stays a name. Numbers are
// ours (scores, percentages) and are written as they are.
import type { GradebookView } from './schema.ts';

/** A trigger at the start, or after a separator, whitespace or control character. */
const FORMULA = /(^|[\s,;|\p{Cc}\p{Cf}])([=+\-@])/gu;
/** Tab and CR open a cell on their own in some spreadsheets (OWASP): defuse a text starting with one. */
const LEADING_CONTROL = /^[\t\r]/;

export function csvField(value: string | number | null): string {
  if (value === null) return '""';
  let text = String(value);
  if (typeof value === 'string') {
    text = text.replace(FORMULA, "$1'$2");
    if (LEADING_CONTROL.test(text)) text = `'${text}`;
  }
  return `"${text.replace(/"/g, '""')}"`;
}

export function gradebookCsv(book: GradebookView, emails: Map<string, string>): string {
  const header = [
    'Last name',
    'First name',
    'Email',
    ...book.items.map((i) => `${i.title} (${i.points} ${i.kind === 'quiz' ? 'quiz' : 'homework'})`),
    'Homework %',
    'Quizzes %',
    book.weights ? `Final % (homework ${book.weights.homework}, quizzes ${book.weights.quizzes})` : 'Final %',
  ];
  const lines = [header.map(csvField).join(',')];
  for (const row of book.rows) {
    lines.push(
      [
        row.student.last_name,
        row.student.first_name,
        emails.get(row.student.id) ?? '',
        ...row.cells.map((c) => (c.score !== null ? c.score : c.status === 'missing' ? 'missing' : '')),
        row.average.by_category.homework.percent,
        row.average.by_category.quizzes.percent,
        row.average.percent,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

// The gradebook as CSV for a spreadsheet or the school's SIS. Cells that a spreadsheet would run
// as a formula (starting with = + - @, tab or CR) are prefixed with ', the OWASP advice: a
// student named "=HYPERLINK(...)" stays a name.
import type { GradebookView } from './schema.ts';

const FORMULA = /^[=+\-@\t\r]/;

function field(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
  const lines = [header.map(field).join(',')];
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
        .map(field)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

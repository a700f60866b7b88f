// CSV export against hostile values: every field is quoted, and a formula trigger (= + - @) is
// defused wherever a spreadsheet could start a cell with it: at the start, or after a separator
// it may split on (`,` `;` tab, `|`, newline), whitespace it may trim, or a control character.
import test from 'ava';
import { csvField, gradebookCsv } from '../../api/gradebook/csv.ts';
import type { GradebookView } from '../../api/gradebook/schema.ts';

/** Every way a spreadsheet could come to read a cell from this text, after splitting and trimming. */
function cellsASpreadsheetCouldSee(field: string): string[] {
  const inner = field.slice(1, -1).replace(/""/g, '"');
  return inner.split(/[,;|\p{Cc}]/u).flatMap((part) => [part, part.trim(), part.replace(/^[\s\p{Cc}\p{Cf}]+/u, '')]);
}

const HOSTILE = [
  '=HYPERLINK("http://evil.test","x")',
  '+1+cmd|" /C calc"!A0',
  '-2+3',
  '@SUM(A1:A9)',
  'Smith;=cmd|" /C calc"!A0',
  'Smith,=1+1',
  'Smith\t=1+1',
  'Smith\n+1',
  'Smith\r\n@x',
  'Smith | -1',
  'Smith =1+1',
  'Smith\u000b=1',
  'Smith\u0000@1',
  'Smith;\u200b=1',
  '\t=1+1',
  '\r=1',
  ' =1',
  'A "quoted" ; name',
];

test('every field is quoted, quotes are doubled, and no cell a spreadsheet could cut out starts with a formula', (t) => {
  for (const value of HOSTILE) {
    const field = csvField(value);
    t.regex(field, /^"[\s\S]*"$/, `quoted: ${JSON.stringify(value)}`);
    t.false(/[^"]"[^"]/.test(field.slice(1, -1).replace(/""/g, '')), `no bare quote inside: ${field}`);
    for (const cell of cellsASpreadsheetCouldSee(field)) {
      t.false(/^[=+\-@]/.test(cell), `${JSON.stringify(value)} → ${JSON.stringify(field)} leaves ${JSON.stringify(cell)}`);
    }
  }
});

test('harmless text and numbers keep their value, quoted', (t) => {
  t.is(csvField('Mary-Jane O’Neil'), '"Mary-Jane O’Neil"', 'a hyphen inside a word is not a trigger');
  t.is(csvField('ann+tag@example.test'), '"ann+tag@example.test"');
  t.is(csvField(80), '"80"');
  t.is(csvField(-4.5), '"-4.5"', 'numbers are ours, never a formula');
  t.is(csvField(null), '""');
  t.is(csvField('Say "hi"'), '"Say ""hi"""');
  t.is(csvField('=1+1'), `"'=1+1"`);
  t.is(csvField('Smith;=1'), `"Smith;'=1"`);
});

test('the whole export quotes every field, header included', (t) => {
  const book: GradebookView = {
    class_id: '00000000-0000-4000-8000-000000000001',
    weights: null,
    items: [{ kind: 'homework', id: '00000000-0000-4000-8000-000000000002', title: 'Essay;=1+1', points: 10, due_at: null, class_average: null }],
    rows: [
      {
        student: { id: '00000000-0000-4000-8000-000000000003', first_name: '@Ann', last_name: 'Able' },
        cells: [{ item_id: '00000000-0000-4000-8000-000000000002', status: 'returned', score: 8, late: false }],
        average: {
          earned: 8,
          possible: 10,
          percent: 80,
          by_category: { homework: { earned: 8, possible: 10, percent: 80 }, quizzes: { earned: 0, possible: 0, percent: null } },
        },
      },
    ],
    next_cursor: null,
  };
  const lines = gradebookCsv(book, new Map([['00000000-0000-4000-8000-000000000003', 'a@example.test']])).split('\r\n');
  t.is(lines[0], `"Last name","First name","Email","Essay;'=1+1 (10 homework)","Homework %","Quizzes %","Final %"`);
  t.is(lines[1], `"Able","'@Ann","a@example.test","8","80","","80"`);
});

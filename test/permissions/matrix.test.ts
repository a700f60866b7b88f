// The permission matrix, generated from docs/permissions.md: one test per row and role. A cell
// starting with "—" or "never" means the role must fail at the row's action; anything else means
// it must succeed on a record in its own reach (test/permissions/probes.ts). Adding a row to the
// document without a probe fails here, so the document and the rules cannot drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PROBES } from './probes.ts';
import { type MatrixWorld, matrixWorld, ROLES } from './world.ts';

type Row = { name: string; cells: Record<(typeof ROLES)[number], string> };

function matrix(): Row[] {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/permissions.md'), 'utf8');
  const lines = doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Resource') && !l.startsWith('|---'));
  return lines.map((line) => {
    const [name, admin, teacher, student, guardian] = line
      .split('|')
      .slice(1, 6)
      .map((c) => c.trim());
    return { name: name as string, cells: { admin: admin ?? '', teacher: teacher ?? '', student: student ?? '', guardian: guardian ?? '' } };
  });
}

const denied = (cell: string) => cell.startsWith('—') || cell.startsWith('never');

let world: Promise<MatrixWorld> | undefined;
const shared = () => (world ??= matrixWorld());

const rows = matrix();

test('the matrix has rows, and every row has a probe', (t) => {
  t.true(rows.length >= 30);
  t.deepEqual(
    rows.filter((r) => !PROBES[r.name]).map((r) => r.name),
    [],
  );
});

// Serial: probes change the shared world (a grade, a link), in the document's order.
for (const row of rows) {
  for (const role of ROLES) {
    const probe = PROBES[row.name];
    if (!probe) continue;
    const expected = !denied(row.cells[role]);
    test.serial(`${row.name} · ${role}: ${expected ? 'allowed' : 'refused'}`, async (t) => {
      t.is(await probe(await shared(), role), expected, `cell: "${row.cells[role]}"`);
    });
  }
}

// The permission matrix, generated from docs/permissions.md: one test per row and role. A cell
// starting with "—" or "never" means the role is refused every action the row names: each
// answers exactly 403 or 404 (a 500 or a 422 is not a refusal), or, for rows about seeing part of
// a record, answers without showing it. Anything else means every action succeeds on a record in
// the role's own reach (test/permissions/probes.ts). Adding a row to the document without a probe
// fails here, so the document and the rules cannot drift apart.
// The tests run one at a time (one shared school) in an order shuffled on every run: a probe
// that needs something makes it, so none depends on another having run first.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { type Check, PROBES } from './probes.ts';
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
// A page's form succeeds with its 303 (POST → GET); a refused one answers a 403 or 404 page.
const succeeded = (c: Check) => ((c.res.status >= 200 && c.res.status < 300) || (c.form === true && c.res.status === 303)) && c.shown !== false;
const refused = (c: Check) => c.res.status === 403 || c.res.status === 404 || (c.shown === false && c.res.status >= 200 && c.res.status < 300);

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

// A seeded shuffle (MATRIX_SEED repeats an order; the seed is in every failure message).
const seed = Number(process.env.MATRIX_SEED ?? Math.floor(Math.random() * 2 ** 31));
function shuffled<T>(items: T[]): T[] {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const cases = shuffled(rows.flatMap((row) => ROLES.map((role) => ({ row, role }))));
for (const { row, role } of cases) {
  const probe = PROBES[row.name];
  if (!probe) continue;
  const allowed = !denied(row.cells[role]);
  test.serial(`${row.name} · ${role}: ${allowed ? 'allowed' : 'refused'}`, async (t) => {
    const checks = await probe(await shared(), role);
    t.true(checks.length > 0);
    for (const c of checks) {
      const what = `${c.action}: ${c.res.status}${c.shown === false ? ' (not shown)' : ''} ${c.res.text.slice(0, 200)} (cell: "${row.cells[role]}", MATRIX_SEED=${seed})`;
      t.true(allowed ? succeeded(c) : refused(c), what);
    }
  });
}

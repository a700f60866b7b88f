// A class's gradebook: students × published graded work (homework with points, published
// quizzes), each cell as the viewer may see it, and averages (api/gradebook/math.ts).
// Who sees which rows: those who may export the class's gradebook (its teachers, admins) see
// every enrolled student; a student sees their own row; a guardian their linked students' rows.
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { CLASS_FIELDS, Class } from '../classes/model.ts';
import { assertNotArchived, findClass } from '../classes/service.ts';
import { type PageQuery, paginate } from '../content/pagination.ts';
import { forbidden, notFound } from '../errors.ts';
import { finaliseExpiredAttempts } from '../quizzes/attempts.ts';
import { RELEASE_COLUMNS, type Release, scoreReleased } from '../quizzes/policy.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { average, type Counted, itemAverage, type Weights } from './math.ts';
import type { GradebookView } from './schema.ts';

type Student = { id: string; first_name: string; last_name: string; email: string; sort_name: string };
type Item = {
  kind: 'homework' | 'quiz';
  id: string;
  title: string;
  points: number;
  due_at: Date | null;
  sort_at: Date;
  /** Homework: for everyone in the class, or for homework_assignees only. */
  assign_to_all?: boolean;
  /** Quizzes: what decides whether a score is out (api/quizzes/policy.ts). */
  release?: Release;
};
type Cell = GradebookView['rows'][number]['cells'][number];

/** The class, if the viewer may do `action` on its gradebook (404 when they may not see the
 * class at all, 403 when they see it but not its gradebook). */
export async function gradebookClass(scope: Scope, classId: string, action: 'read' | 'export' | 'update'): Promise<Class> {
  const found = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, action, 'Gradebook', CLASS_FIELDS))
    .findOne({ 'classes.id': classId });
  if (found) return found;
  await findClass(scope, classId, 'read');
  throw forbidden(action === 'read' ? 'You cannot see this class’s gradebook.' : 'Only the class’s teachers and admins can do this.');
}

export function weightsOf(c: Pick<Class, 'grade_weights'>): Weights | null {
  const w = c.grade_weights as Partial<Weights> | null;
  if (!w || typeof w.homework !== 'number' || typeof w.quizzes !== 'number') return null;
  return { homework: w.homework, quizzes: w.quizzes };
}

export async function readGradebook(
  scope: Scope,
  classId: string,
  page: PageQuery & { student_id?: string | undefined },
  options: { finalise?: boolean } = {},
): Promise<GradebookView> {
  // Those who may export the class's gradebook (its teachers, admins) see every row.
  const exportable = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, 'export', 'Gradebook', CLASS_FIELDS))
    .findOne({ 'classes.id': classId });
  const klass = exportable ?? (await gradebookClass(scope, classId, 'read'));
  const seesAll = exportable !== undefined;
  const students = await paginate<Student>(studentsQuery(scope, classId, seesAll, page.student_id), page, {
    sort: 'r.sort_name',
    id: 'r.id',
    sortOf: (s) => s.sort_name,
    idOf: (s) => s.id,
  });
  if (page.student_id && students.data.length === 0) throw notFound('That student in this gradebook');
  // Attempts whose time ran out count as submitted at their deadline: close them first (the
  // job runner does the same for the whole school; this keeps the gradebook right without it).
  if (options.finalise !== false) await finaliseExpiredAttempts(scope, { classId });
  // A student or guardian sees only the homework assigned to the students whose rows they may
  // read (all of them, not this page's): another student's work is not even a column.
  const forStudents = seesAll ? null : (await studentsQuery(scope, classId, false, undefined)).map((s: Student) => s.id);
  const items = await gradedItems(scope, classId, forStudents);
  const cells = await cellsFor(
    scope,
    classId,
    items,
    students.data.map((s) => s.id),
    seesAll,
  );
  const weights = weightsOf(klass);
  const rows = students.data.map((s) => {
    const row = items.map((item) => cells.get(`${item.id}:${s.id}`) ?? emptyCell(scope, item));
    const counted: Counted[] = items.map((item, i) => ({
      category: item.kind === 'homework' ? 'homework' : 'quizzes',
      points: item.points,
      score: countable(row[i] as Cell),
    }));
    return { student: { id: s.id, first_name: s.first_name, last_name: s.last_name }, cells: row, average: average(counted, weights) };
  });
  return {
    class_id: classId,
    weights,
    items: items.map((item, i) => ({
      kind: item.kind,
      id: item.id,
      title: item.title,
      points: item.points,
      due_at: item.due_at ? new Date(item.due_at).toISOString() : null,
      class_average: seesAll
        ? itemAverage(
            item.points,
            rows.map((r) => countable(r.cells[i] as Cell)),
          )
        : null,
    })),
    rows,
    next_cursor: students.next_cursor,
  };
}

/** Every row of the class (for CSV), page by page. `finalise: false`: the caller closed expired
 * attempts already (the export reads on a standby, which cannot write). */
export async function fullGradebook(scope: Scope, classId: string, options: { finalise?: boolean } = {}): Promise<GradebookView> {
  await gradebookClass(scope, classId, 'export');
  let cursor: string | undefined;
  let all: GradebookView | undefined;
  do {
    const page = await readGradebook(scope, classId, { limit: 100, cursor }, options);
    all = all ? { ...all, rows: [...all.rows, ...page.rows], items: page.items } : page;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { ...all, next_cursor: null };
}

export async function setWeights(scope: Scope, classId: string, weights: Weights | null): Promise<void> {
  const klass = await gradebookClass(scope, classId, 'update');
  assertNotArchived(klass);
  await Class.query(scope.db)
    .patch({ grade_weights: weights, updated_at: new Date() } as Partial<Class>)
    .where({ id: klass.id });
  await audit(scope, 'gradebook.weights_changed', { type: 'class', id: classId }, { old: weightsOf(klass), new: weights });
}

function studentsQuery(scope: Scope, classId: string, seesAll: boolean, only: string | undefined) {
  const db = scope.db;
  const me = actorUserId(scope.actor) ?? null;
  const enrolled = db('enrollments as e')
    .join('users as u', (j) => j.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.user_id'))
    .where({ 'e.class_id': classId, 'e.role': 'student' })
    .select('u.id', 'u.first_name', 'u.last_name', 'u.email', db.raw(`lower(u.last_name || ' ' || u.first_name) as sort_name`));
  if (!seesAll) {
    // Their own row, or their linked students' rows: nobody else's.
    enrolled.where((q) =>
      q
        .where('u.id', me)
        .orWhereExists((g) =>
          g.select(db.raw('1')).from('guardian_links as g').whereRaw('g.tenant_id = u.tenant_id and g.student_id = u.id').where('g.guardian_id', me),
        ),
    );
  }
  if (only) enrolled.where('u.id', only);
  return db.from(enrolled.as('r')).select('r.*');
}

/** The class's graded work; with `forStudents`, only homework assigned to at least one of them. */
async function gradedItems(scope: Scope, classId: string, forStudents: string[] | null): Promise<Item[]> {
  const at = now(scope);
  const homeworkQuery = scope
    .db('homework')
    .where('class_id', classId)
    .where('publish_at', '<=', at)
    .whereNotNull('points')
    .select('id', 'title', 'points', 'due_at', 'assign_to_all');
  if (forStudents !== null) {
    homeworkQuery.where((q) =>
      q
        .where('assign_to_all', true)
        .orWhereExists((a) =>
          a
            .select(scope.db.raw('1'))
            .from('homework_assignees as ha')
            .whereRaw('ha.tenant_id = homework.tenant_id and ha.homework_id = homework.id')
            .whereIn('ha.student_id', forStudents),
        ),
    );
  }
  const homework = await homeworkQuery;
  const quizzes = await scope
    .db('quizzes')
    .where({ class_id: classId, status: 'published' })
    .where('points_possible', '>', 0)
    .select('id', 'title', 'points_possible', 'closes_at', 'published_at', ...RELEASE_COLUMNS);
  const items: Item[] = [
    ...homework.map((h) => ({
      kind: 'homework' as const,
      id: h.id,
      title: h.title,
      points: Number(h.points),
      due_at: h.due_at,
      sort_at: h.due_at,
      assign_to_all: h.assign_to_all,
    })),
    ...quizzes.map((q) => ({
      kind: 'quiz' as const,
      id: q.id,
      title: q.title,
      points: Number(q.points_possible),
      due_at: q.closes_at,
      sort_at: q.closes_at ?? q.published_at,
      release: q as Release,
    })),
  ];
  return items.sort((a, b) => new Date(a.sort_at).getTime() - new Date(b.sort_at).getTime() || a.id.localeCompare(b.id));
}

/** Cells keyed `${itemId}:${studentId}`; a missing key is an untouched item (emptyCell). */
async function cellsFor(scope: Scope, classId: string, items: Item[], studentIds: string[], seesDrafts: boolean): Promise<Map<string, Cell>> {
  const cells = new Map<string, Cell>();
  if (studentIds.length === 0 || items.length === 0) return cells;
  const at = now(scope);
  const homework = items.filter((i) => i.kind === 'homework');
  const quizzes = items.filter((i) => i.kind === 'quiz');
  if (homework.length > 0) {
    const ids = homework.map((h) => h.id);
    // One connection (the request's transaction): queries run one after another.
    const assignees = await scope.db('homework_assignees').whereIn('homework_id', ids).whereIn('student_id', studentIds).select('homework_id', 'student_id');
    const submissions = await scope
      .db('submissions')
      .where('class_id', classId)
      .whereIn('homework_id', ids)
      .whereIn('student_id', studentIds)
      .select('homework_id', 'student_id', 'status', 'score', 'late', 'submitted_at');
    const chosen = new Set(assignees.map((a) => `${a.homework_id}:${a.student_id}`));
    const byKey = new Map(submissions.map((s) => [`${s.homework_id}:${s.student_id}`, s]));
    for (const h of homework) {
      for (const student of studentIds) {
        const key = `${h.id}:${student}`;
        if (!h.assign_to_all && !chosen.has(key)) {
          cells.set(key, { item_id: h.id, status: 'not_assigned', score: null, late: false });
          continue;
        }
        const s = byKey.get(key);
        const overdue = h.due_at !== null && at > new Date(h.due_at);
        if (!s) {
          cells.set(key, { item_id: h.id, status: overdue ? 'missing' : 'assigned', score: null, late: false });
          continue;
        }
        // Grades are drafts until returned: students and guardians see turned-in work until then.
        const visible = seesDrafts || s.status === 'returned';
        const status = visible ? s.status : s.submitted_at ? 'turned_in' : overdue ? 'missing' : 'assigned';
        cells.set(key, {
          item_id: h.id,
          status,
          score: visible && s.score !== null && s.status !== 'turned_in' ? Number(s.score) : null,
          late: Boolean(s.late),
        });
      }
    }
  }
  if (quizzes.length > 0) {
    const ids = quizzes.map((q) => q.id);
    const attempts = await scope
      .db('quiz_attempts')
      .where('class_id', classId)
      .whereIn('quiz_id', ids)
      .whereIn('student_id', studentIds)
      .groupBy('quiz_id', 'student_id')
      .select(
        'quiz_id',
        'student_id',
        scope.db.raw('bool_or(submitted_at is null) as in_progress'),
        scope.db.raw('bool_or(counted) as has_counted'),
        scope.db.raw('max(case when counted then score end) as score'),
        scope.db.raw('bool_or(counted and needs_grading) as needs_grading'),
      );
    const quizById = new Map(quizzes.map((q) => [q.id, q]));
    for (const a of attempts) {
      const release = quizById.get(a.quiz_id)?.release;
      if (!release) continue;
      // The counted attempt is submitted; whether its score is out is the quiz's results policy.
      const released = seesDrafts || scoreReleased(release, { submitted_at: at }, at);
      let status: Cell['status'];
      let score: number | null = null;
      if (a.has_counted && a.needs_grading) status = 'needs_grading';
      else if (a.has_counted && released) {
        status = 'graded';
        score = a.score === null ? null : Number(a.score);
      } else if (a.has_counted) status = 'submitted';
      else status = a.in_progress ? 'in_progress' : 'not_started';
      cells.set(`${a.quiz_id}:${a.student_id}`, { item_id: a.quiz_id, status, score, late: false });
    }
  }
  return cells;
}

function emptyCell(scope: Scope, item: Item): Cell {
  if (item.kind === 'homework')
    return { item_id: item.id, status: item.due_at && now(scope) > new Date(item.due_at) ? 'missing' : 'assigned', score: null, late: false };
  const closed = item.due_at !== null && now(scope) > new Date(item.due_at);
  return { item_id: item.id, status: closed ? 'missing' : 'not_started', score: null, late: false };
}

/** The score that counts towards averages: a visible, final score. */
function countable(cell: Cell): number | null {
  return cell.status === 'graded' || cell.status === 'returned' ? cell.score : null;
}

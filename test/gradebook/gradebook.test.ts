// The gradebook through HTTP against a fixture worked out by hand: who sees which rows, which
// scores each viewer may see, averages, weights, CSV.
import test from 'ava';
import { createPerson, inSchool, linkGuardian, type Person, type School, scene } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const DAY = 86_400_000;

async function gradebookWorld() {
  const w = await scene({
    people: {
      teacher: 'teacher',
      ada: { role: 'student', first_name: 'Ada', last_name: 'Able' },
      ben: { role: 'student', first_name: 'Ben', last_name: 'Baker' },
      cy: { role: 'student', first_name: '=cmd|calc', last_name: 'Cole' },
      guardian: { role: 'guardian', guardianOf: ['ben'] },
      otherTeacher: 'teacher',
    },
    classes: { klass: { name: 'Maths', teachers: ['teacher'], students: ['ada', 'ben', 'cy'] } },
  });
  const ids = await seed(w.school, w.klass.id, w);
  return { ...w, ids };
}

async function seed(school: School, classId: string, p: { ada: Person; ben: Person }) {
  return inSchool(school, async ({ db }) => {
    const tenant_id = school.tenant.id;
    const past = new Date(Date.now() - 2 * DAY);
    const future = new Date(Date.now() + 5 * DAY);
    const hw = async (title: string, points: number, due: Date, publish: Date | null, all = true) =>
      (await db('homework').insert({ tenant_id, class_id: classId, title, points, due_at: due, publish_at: publish, assign_to_all: all }).returning('id'))[0]
        .id as string;
    const h1 = await hw('Fractions', 10, past, new Date(past.getTime() - DAY));
    const h2 = await hw('Essay', 20, future, past, false);
    await hw('Draft', 50, future, null);
    await db('homework_assignees').insert([
      { tenant_id, homework_id: h2, student_id: p.ada.id },
      { tenant_id, homework_id: h2, student_id: p.ben.id },
    ]);
    const sub = (homework_id: string, student_id: string, status: string, score: number | null) => ({
      tenant_id,
      class_id: classId,
      homework_id,
      student_id,
      status,
      score,
      submitted_at: past,
      version: 1,
      returned_at: status === 'returned' ? past : null,
    });
    await db('submissions').insert([
      sub(h1, p.ada.id, 'returned', 8),
      sub(h1, p.ben.id, 'graded', 9),
      sub(h2, p.ada.id, 'turned_in', null),
      sub(h2, p.ben.id, 'returned', 15),
    ]);
    const quiz = async (title: string, points: number, release: string, closes: Date | null) =>
      (
        await db('quizzes')
          .insert({
            tenant_id,
            class_id: classId,
            title,
            status: 'published',
            published_at: new Date(past.getTime() + 3_600_000),
            points_possible: points,
            question_count: 1,
            score_release: release,
            closes_at: closes,
          })
          .returning('id')
      )[0].id as string;
    const q1 = await quiz('Times tables', 25, 'after_attempt', null);
    const q2 = await quiz('Shapes', 10, 'after_close', new Date(future.getTime() + 3_600_000));
    const attempt = (quiz_id: string, student_id: string, score: number, needs_grading = false) => ({
      tenant_id,
      class_id: classId,
      quiz_id,
      student_id,
      number: 1,
      started_at: past,
      submitted_at: past,
      finished_by: 'student',
      score,
      needs_grading,
      counted: true,
      question_order: JSON.stringify([]),
    });
    await db('quiz_attempts').insert([attempt(q1, p.ada.id, 18), attempt(q1, p.ben.id, 20, true), attempt(q2, p.ada.id, 10)]);
    return { h1, h2, q1, q2 };
  });
}

type Row = {
  student: { id: string };
  cells: { item_id: string; status: string; score: number | null }[];
  average: { percent: number | null; earned: number; possible: number };
};
const cellsOf = (row: Row) => row.cells.map((c) => [c.status, c.score]);

test('a teacher sees every row with draft grades, hand-computed averages and column averages', async (t) => {
  const w = await gradebookWorld();
  const res = await w.get(w.teacher, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.is(res.status, 200);
  t.deepEqual(
    res.body.items.map((i: { id: string }) => i.id),
    [w.ids.h1, w.ids.q1, w.ids.h2, w.ids.q2],
    'by date; the draft is not in the gradebook',
  );
  const [ada, ben, cy] = res.body.rows as Row[];
  t.deepEqual(cellsOf(ada as Row), [
    ['returned', 8],
    ['graded', 18],
    ['turned_in', null],
    ['graded', 10],
  ]);
  t.deepEqual((ada as Row).average, {
    earned: 36,
    possible: 45,
    percent: 80,
    by_category: { homework: { earned: 8, possible: 10, percent: 80 }, quizzes: { earned: 28, possible: 35, percent: 80 } },
  });
  t.deepEqual(cellsOf(ben as Row), [
    ['graded', 9],
    ['needs_grading', null],
    ['returned', 15],
    ['not_started', null],
  ]);
  t.is((ben as Row).average.percent, 80, '(9 + 15) / (10 + 20)');
  t.deepEqual(cellsOf(cy as Row), [
    ['missing', null],
    ['not_started', null],
    ['not_assigned', null],
    ['not_started', null],
  ]);
  t.is((cy as Row).average.percent, null);
  t.deepEqual(
    res.body.items.map((i: { class_average: number | null }) => i.class_average),
    [85, 72, 75, 100],
  );
});

test('a student sees only their own row, with only released scores', async (t) => {
  const w = await gradebookWorld();
  const res = await w.get(w.ada, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.is(res.status, 200);
  t.is(res.body.rows.length, 1);
  const [ada] = res.body.rows as Row[];
  t.is(ada?.student.id, w.ada.id);
  t.deepEqual(cellsOf(ada as Row), [
    ['returned', 8],
    ['graded', 18],
    ['turned_in', null],
    ['submitted', null],
  ]);
  t.is((ada as Row).average.percent, 74.29, '(8 + 18) / (10 + 25)');
  t.true(
    res.body.items.every((i: { class_average: number | null }) => i.class_average === null),
    'no class statistics for students',
  );
  t.is((await w.get(w.ada, `/api/v1/classes/${w.klass.id}/gradebook?student_id=${w.ben.id}`)).status, 404);
  t.is((await w.get(w.ada, `/api/v1/classes/${w.klass.id}/gradebook/csv`)).status, 403);
});

test('a guardian sees their linked student’s row only; draft grades stay hidden', async (t) => {
  const w = await gradebookWorld();
  const res = await w.get(w.guardian, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.is(res.status, 200);
  t.deepEqual(
    res.body.rows.map((r: Row) => r.student.id),
    [w.ben.id],
  );
  t.deepEqual(cellsOf(res.body.rows[0]), [
    ['turned_in', null],
    ['needs_grading', null],
    ['returned', 15],
    ['not_started', null],
  ]);
  t.is(res.body.rows[0].average.percent, 75);
  const outsider = await createPerson(w.school, 'guardian');
  t.is((await w.get(outsider, `/api/v1/classes/${w.klass.id}/gradebook`)).status, 404);
  t.is((await w.get(w.otherTeacher, `/api/v1/classes/${w.klass.id}/gradebook`)).status, 404);
});

test('homework assigned to other students is neither a column nor a cell for a student or their guardian', async (t) => {
  const w = await gradebookWorld();
  // The Essay (h2) is for Ada and Ben only.
  const cy = await w.get(w.cy, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.is(cy.status, 200);
  t.deepEqual(
    cy.body.items.map((i: { id: string }) => i.id),
    [w.ids.h1, w.ids.q1, w.ids.q2],
  );
  t.deepEqual(cellsOf(cy.body.rows[0]), [
    ['missing', null],
    ['not_started', null],
    ['not_started', null],
  ]);
  t.false(cy.text.includes(w.ids.h2), 'not even its id');
  t.false(cy.text.includes('Essay'), 'nor its title');
  const cysGuardian = await createPerson(w.school, 'guardian');
  await linkGuardian(w.school, cysGuardian, w.cy);
  const theirs = await w.get(cysGuardian, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.deepEqual(
    theirs.body.items.map((i: { id: string }) => i.id),
    [w.ids.h1, w.ids.q1, w.ids.q2],
  );
  t.false(theirs.text.includes(w.ids.h2));
  // Ada is assigned it: she sees it (and her teacher sees it for everyone, as not_assigned for Cy).
  const ada = await w.get(w.ada, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.true(ada.body.items.some((i: { id: string }) => i.id === w.ids.h2));
});

test('weights change the final percentage; bad weights are refused and change nothing', async (t) => {
  const w = await gradebookWorld();
  const put = (who: Person, body: unknown) => w.request(who, 'PUT', `/api/v1/classes/${w.klass.id}/gradebook/weights`, body);
  const bad = await put(w.teacher, { weights: { homework: 50, quizzes: 60 } });
  t.is(bad.status, 422);
  t.is(bad.body.errors[0].field, 'weights');
  t.is((await put(w.ada, { weights: null })).status, 403);
  t.is((await put(w.teacher, { weights: { homework: 25, quizzes: 75 } })).status, 204);
  const res = await w.get(w.teacher, `/api/v1/classes/${w.klass.id}/gradebook`);
  t.deepEqual(res.body.weights, { homework: 25, quizzes: 75 });
  // Ben: homework 24/30 = 80 %, no quiz scored: 80 %. Ada: 80 and 80: 80 %.
  t.deepEqual(
    res.body.rows.map((r: Row) => r.average.percent),
    [80, 80, null],
  );
  const audited = await inSchool(w.school, ({ db }) =>
    db('audit_events').where({ action: 'gradebook.weights_changed' }).count<{ count: string }[]>('* as count'),
  );
  t.is(Number(audited[0]?.count), 1);
});

test('the CSV export has a row per student and defuses spreadsheet formulas', async (t) => {
  const w = await gradebookWorld();
  const res = await w.get(w.teacher, `/api/v1/classes/${w.klass.id}/gradebook/csv`);
  t.is(res.status, 200);
  t.regex(res.headers['content-type'] ?? '', /^text\/csv/);
  t.regex(res.headers['content-disposition'] ?? '', /attachment; filename="gradebook-/);
  const lines = res.text.trim().split('\r\n');
  t.is(lines.length, 4);
  t.is(
    lines[0],
    '"Last name","First name","Email","Fractions (10 homework)","Times tables (25 quiz)","Essay (20 homework)","Shapes (10 quiz)","Homework %","Quizzes %","Final %"',
  );
  t.is(lines[1], `"Able","Ada","${w.ada.email}","8","18","","10","80","80","80"`);
  t.true(lines[3]?.startsWith(`"Cole","'=cmd|calc",`), lines[3]);
});

test('an attempt whose time ran out counts in the gradebook without anyone submitting it', async (t) => {
  let now = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  const { teacher, student, klass, request } = await scene({
    app: startApp({}, { clock: () => now }),
    people: { teacher: 'teacher', student: 'student' },
    classes: { klass: { name: 'Maths', teachers: ['teacher'], students: ['student'] } },
  });
  const call = async (who: Person, method: string, path: string, body?: unknown) => {
    const res = await request(who, method, path, body);
    t.true(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const quiz = await call(teacher, 'POST', `/api/v1/classes/${klass.id}/quizzes`, { title: 'Timed', time_limit_minutes: 10 });
  const question = await call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, {
    type: 'true_false',
    prompt: 'Two is even.',
    points: 4,
    correct: true,
  });
  await call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/publish`);
  const attempt = await call(student, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`);
  await call(student, 'PUT', `/api/v1/quiz-attempts/${attempt.id}/answers/${question.id}`, { response: { value: true } });
  const before = await call(teacher, 'GET', `/api/v1/classes/${klass.id}/gradebook`);
  t.is(before.rows[0].cells[0].status, 'in_progress');
  now = new Date(now.getTime() + 11 * 60_000);
  const after = await call(teacher, 'GET', `/api/v1/classes/${klass.id}/gradebook`);
  t.deepEqual([after.rows[0].cells[0].status, after.rows[0].cells[0].score], ['graded', 4]);
});

// GET /me/dashboard per role: what is due, open, graded and waiting, and nothing from classes or
// students the person has no business seeing.
import test from 'ava';
import { classroom } from '../helpers/classroom.ts';
import { inSchool } from '../helpers/factories.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

async function seededClassroom() {
  const w = await classroom();
  const now = Date.now();
  const ids = await inSchool(w.school, async ({ db }) => {
    const tenant_id = w.school.tenant.id;
    const homework = async (class_id: string, title: string, due: number, extra: Record<string, unknown> = {}) =>
      (
        await db('homework')
          .insert({ tenant_id, class_id, title, points: 10, due_at: new Date(due), publish_at: new Date(now - 3 * DAY), ...extra })
          .returning('id')
      )[0].id as string;
    const dueTomorrow = await homework(w.mine.id, 'Fractions sheet', now + DAY);
    const lateWindow = await homework(w.mine.id, 'Poem', now - HOUR, { late_until: new Date(now + DAY) });
    const turnedIn = await homework(w.mine.id, 'Spelling', now + 2 * DAY);
    const farAway = await homework(w.mine.id, 'Project', now + 30 * DAY);
    const draft = await homework(w.mine.id, 'Draft', now + DAY, { publish_at: null });
    const returned = await homework(w.mine.id, 'Map', now - 2 * DAY);
    const otherClass = await homework(w.theirs.id, 'Their essay', now + DAY);
    const sub = (homework_id: string, status: string, score: number | null, class_id = w.mine.id, student_id = w.student.id) => ({
      tenant_id,
      class_id,
      homework_id,
      student_id,
      status,
      score,
      submitted_at: new Date(now - 3 * HOUR),
      version: 1,
      returned_at: status === 'returned' ? new Date(now - HOUR) : null,
    });
    await db('submissions').insert([
      sub(turnedIn, 'turned_in', null),
      sub(returned, 'returned', 7),
      sub(otherClass, 'turned_in', null, w.theirs.id, w.otherStudent.id),
    ]);
    const quiz = async (class_id: string, title: string, extra: Record<string, unknown> = {}) =>
      (
        await db('quizzes')
          .insert({
            tenant_id,
            class_id,
            title,
            status: 'published',
            published_at: new Date(now - DAY),
            points_possible: 5,
            question_count: 1,
            closes_at: new Date(now + 2 * DAY),
            ...extra,
          })
          .returning('id')
      )[0].id as string;
    const openQuiz = await quiz(w.mine.id, 'Times tables');
    await quiz(w.mine.id, 'Closed quiz', { closes_at: new Date(now - HOUR), opens_at: new Date(now - 2 * DAY) });
    await quiz(w.theirs.id, 'Their quiz');
    await db('notices').insert([
      { tenant_id, class_id: w.mine.id, title: 'Trip on Friday', body: 'Bring lunch', publish_at: new Date(now - HOUR) },
      { tenant_id, class_id: null, title: 'Snow day', body: 'School closed', publish_at: new Date(now - 2 * HOUR), pinned: true },
      { tenant_id, class_id: w.theirs.id, title: 'History club', body: 'Room 4', publish_at: new Date(now - HOUR) },
      { tenant_id, class_id: w.mine.id, title: 'Next week', body: 'Scheduled', publish_at: new Date(now + DAY) },
    ]);
    return { dueTomorrow, lateWindow, turnedIn, farAway, draft, returned, otherClass, openQuiz };
  });
  return { ...w, ids };
}

test('a student sees what is due soon, open quizzes, recent grades and their notices', async (t) => {
  const w = await seededClassroom();
  const res = await w.get(w.student, '/api/v1/me/dashboard');
  t.is(res.status, 200);
  t.is(res.body.role, 'student');
  t.deepEqual(
    res.body.student.due_soon.map((d: { homework_id: string; overdue: boolean }) => [d.homework_id, d.overdue]),
    [
      [w.ids.lateWindow, true],
      [w.ids.dueTomorrow, false],
    ],
    'not the turned-in, far-away, draft or other class’s homework',
  );
  t.deepEqual(
    res.body.student.open_quizzes.map((q: { quiz_id: string }) => q.quiz_id),
    [w.ids.openQuiz],
  );
  t.deepEqual(
    res.body.student.recent_grades.map((g: { id: string; score: number; points: number }) => [g.id, g.score, g.points]),
    [[w.ids.returned, 7, 10]],
  );
  t.deepEqual(
    res.body.recent_notices.map((n: { title: string; read: boolean }) => [n.title, n.read]),
    [
      ['Snow day', false],
      ['Trip on Friday', false],
    ],
    'pinned first; not the other class’s, not the scheduled one',
  );
  t.is(res.body.teaching, undefined);
});

test('a teacher sees what needs grading, what is coming up and the latest submissions, for their classes only', async (t) => {
  const w = await seededClassroom();
  const res = await w.get(w.teacher, '/api/v1/me/dashboard');
  t.is(res.status, 200);
  const { needs_grading, upcoming, recent_submissions } = res.body.teaching;
  t.deepEqual(
    needs_grading.map((g: { id: string; waiting: number }) => [g.id, g.waiting]),
    [[w.ids.turnedIn, 1]],
  );
  t.deepEqual(
    upcoming.map((u: { title: string; turned_in: number }) => [u.title, u.turned_in]),
    [
      ['Fractions sheet', 0],
      ['Spelling', 1],
      ['Times tables', 0],
    ],
  );
  t.deepEqual(recent_submissions.map((s: { homework_id: string }) => s.homework_id).sort(), [w.ids.turnedIn, w.ids.returned].sort());
  t.is(res.body.student, undefined);
  const admin = await w.get(w.admin, '/api/v1/me/dashboard');
  t.is(admin.body.teaching.needs_grading.length, 2, 'admins see the whole school');
});

test('a guardian sees each linked student’s work and grades, and nothing of other students', async (t) => {
  const w = await seededClassroom();
  const res = await w.get(w.guardian, '/api/v1/me/dashboard');
  t.is(res.status, 200);
  t.is(res.body.children.length, 1);
  const [child] = res.body.children;
  t.is(child.student.id, w.student.id);
  t.deepEqual(
    child.due_soon.map((d: { homework_id: string }) => d.homework_id),
    [w.ids.lateWindow, w.ids.dueTomorrow],
  );
  t.deepEqual(
    child.recent_grades.map((g: { id: string }) => g.id),
    [w.ids.returned],
  );
  const other = await w.get(w.otherGuardian, '/api/v1/me/dashboard');
  t.is(other.body.children[0].student.id, w.otherStudent.id);
  t.deepEqual(other.body.children[0].due_soon, [], 'their student turned the essay in');
  t.false(JSON.stringify(other.body).includes(w.ids.returned));
});

test('archived classes drop out of the dashboard', async (t) => {
  const w = await seededClassroom();
  await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: true });
  const res = await w.get(w.student, '/api/v1/me/dashboard');
  t.deepEqual(res.body.student.due_soon, []);
  t.deepEqual(res.body.student.open_quizzes, []);
  t.deepEqual(
    res.body.recent_notices.map((n: { title: string }) => n.title),
    ['Snow day'],
  );
});

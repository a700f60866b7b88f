// Grading through HTTP: draft grades hidden until returned, limits, bulk all-or-nothing,
// regrades in the audit log, and who may grade (docs/permissions.md, "Submissions" rows).
import test from 'ava';
import { auditOf, homeworkWorld, inTables } from '../helpers/homework.ts';

const gradePath = (hw: { id: string }, studentId: string) => `/api/v1/homework/${hw.id}/submissions/${studentId}/grade`;

test('a grade stays hidden from the student and guardian until it is returned', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My work' });

  const draft = await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { score: 7.5, feedback: 'Check question 3' });
  t.is(draft.status, 200, draft.text);
  t.is(draft.body.status, 'graded');
  t.is(draft.body.score, 7.5);
  t.is(draft.body.points, 10);
  t.is(draft.body.graded_by, w.teacher.id);
  t.is(draft.body.returned_at, null);

  for (const [who, path] of [
    [w.sam, `/api/v1/homework/${hw.id}/submission`],
    [w.sam, `/api/v1/homework/${hw.id}/submissions/${w.sam.id}`],
    [w.guardian, `/api/v1/homework/${hw.id}/submissions/${w.sam.id}`],
  ] as const) {
    const seen = await w.get(who, path);
    t.is(seen.body.status, 'turned_in', 'a draft grade looks like work still waiting');
    t.is(seen.body.score, null);
    t.is(seen.body.feedback, null);
    t.is(seen.body.graded_by, null);
    t.is(seen.body.graded_at, null);
  }
  const samsRow = (await w.get(w.sam, `/api/v1/homework/${hw.id}/submissions`)).body.data[0];
  t.is(samsRow.score, null);
  t.deepEqual((await w.get(w.sam, `/api/v1/homework/${hw.id}/submissions?status=graded`)).body.data, [], 'students cannot find draft grades by filtering');
  t.is((await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?status=graded`)).body.data.length, 1);

  w.clock.set('2026-11-04T16:00:00Z');
  const returned = await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { return: true });
  t.is(returned.body.status, 'returned');
  t.is(returned.body.returned_at, '2026-11-04T16:00:00.000Z');
  const mine = await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`);
  t.is(mine.body.status, 'returned');
  t.is(mine.body.score, 7.5);
  t.is(mine.body.feedback, 'Check question 3');
  t.is((await w.get(w.guardian, `/api/v1/homework/${hw.id}/submissions/${w.sam.id}`)).body.score, 7.5);

  // Turning in again after a return: back to turned in; the returned grade stays in the history.
  w.clock.set('2026-11-05T08:00:00Z');
  const again = await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Fixed question 3' });
  t.is(again.body.status, 'turned_in');
  t.is(again.body.score, null);
  t.is(again.body.history[0].status, 'returned');
  t.is(again.body.history[0].score, 7.5);
  t.is(again.body.history[0].feedback, 'Check question 3');
  const teacherView = await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions/${w.sam.id}`);
  t.is(teacherView.body.status, 'turned_in');
  t.is(teacherView.body.score, 7.5, 'the teacher still sees the last grade given');
  const regraded = await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { score: 10, feedback: 'Perfect' });
  t.is(regraded.body.status, 'graded');
  t.is((await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`)).body.score, null, 'the new grade is a draft again');
});

test('a score above the points, negative, too precise or on ungraded homework is a field error and changes nothing', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  const ungraded = await w.setHomework({ points: null });
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My work' });
  const snapshot = () =>
    inTables(w.school, (db) => db('submissions').select('homework_id', 'student_id', 'status', 'score', 'feedback', 'graded_at').orderBy('id'));
  const before = await snapshot();
  for (const [body, field] of [
    [{ score: 10.01 }, 'score'],
    [{ score: 11, feedback: 'Great', return: true }, 'score'],
    [{ score: -1 }, 'score'],
    [{ score: 3.333 }, 'score'],
    [{ score: '9' }, 'score'],
    [{ return: false }, ''],
    [{ score: 5, stars: 3 }, ''],
  ] as const) {
    const res = await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), body);
    t.is(res.status, 422, JSON.stringify(body));
    t.is(res.body.errors[0].field, field);
  }
  const onUngraded = await w.request(w.teacher, 'PUT', gradePath(ungraded, w.sam.id), { score: 1 });
  t.is(onUngraded.status, 422);
  t.is(onUngraded.body.errors[0].field, 'score');
  t.deepEqual(await snapshot(), before);
  // Feedback alone is how ungraded homework is marked.
  const feedback = await w.request(w.teacher, 'PUT', gradePath(ungraded, w.sam.id), { feedback: 'Lovely drawing', return: true });
  t.is(feedback.status, 200);
  t.is(feedback.body.status, 'returned');
  t.is(feedback.body.score, null);
  t.is((await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { score: 10 })).body.score, 10, 'the maximum itself is fine');
});

test('bulk grading is all or nothing', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My work' });
  const bulk = (grades: unknown[]) => w.request(w.teacher, 'POST', `/api/v1/homework/${hw.id}/grades`, { grades });
  const snapshot = () => inTables(w.school, (db) => db('submissions').select('student_id', 'status', 'score').orderBy('student_id'));
  const before = await snapshot();

  const bad = await bulk([
    { student_id: w.sam.id, score: 9, feedback: 'Good', return: true },
    { student_id: w.ada.id, score: 11 },
    { student_id: w.olly.id, score: 5 },
  ]);
  t.is(bad.status, 422);
  t.deepEqual(
    bad.body.errors.map((e: { field: string }) => e.field),
    ['grades.1.score', 'grades.2.student_id'],
  );
  const twice = await bulk([
    { student_id: w.sam.id, score: 1 },
    { student_id: w.sam.id, score: 2 },
  ]);
  t.is(twice.status, 422);
  t.is(twice.body.errors[0].field, 'grades.1.student_id');
  t.is((await bulk([])).status, 422);
  t.deepEqual(await snapshot(), before, 'nothing was graded');

  const good = await bulk([
    { student_id: w.sam.id, score: 9, feedback: 'Good', return: true },
    { student_id: w.ada.id, score: 0, feedback: 'Nothing handed in', return: true },
  ]);
  t.is(good.status, 200, good.text);
  t.deepEqual(
    good.body.data.map((r: { student: { id: string }; status: string; score: number }) => [r.student.id, r.status, r.score]),
    [
      [w.sam.id, 'returned', 9],
      [w.ada.id, 'returned', 0],
    ],
  );
  const ada = await w.get(w.ada, `/api/v1/homework/${hw.id}/submission`);
  t.is(ada.body.status, 'returned', 'a missing student can be given a grade');
  t.is(ada.body.score, 0);
  t.is(ada.body.submitted_at, null);
  t.is(ada.body.version, 0);
  t.is((await auditOf(w.school, 'submission.graded')).length, 2);
  // Handing work in after such a grade keeps the returned 0 in the history.
  const late = await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Here it is' });
  t.is(late.body.status, 'turned_in');
  t.is(late.body.version, 1);
  t.deepEqual(
    late.body.history.map((v: { version: number; status: string; score: number; body: string | null }) => [v.version, v.status, v.score, v.body]),
    [[0, 'returned', 0, null]],
  );
});

test('regrading returned work is written to the audit log with the old and new score', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My work' });
  const first = await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { score: 7, return: true });
  t.is(first.status, 200);
  t.deepEqual(await auditOf(w.school, 'submission.regraded'), [], 'a first grade is not a regrade');

  const regrade = await w.request(w.admin, 'PUT', gradePath(hw, w.sam.id), { score: 8.5 });
  t.is(regrade.body.status, 'returned', 'returned work stays returned');
  t.is((await w.get(w.sam, `/api/v1/homework/${hw.id}/submission`)).body.score, 8.5, 'the student sees the corrected score');
  const events = await auditOf(w.school, 'submission.regraded');
  t.is(events.length, 1);
  t.is(events[0].actor_id, w.admin.id);
  t.is(events[0].target_type, 'submission');
  t.is(events[0].target_id, first.body.id);
  t.like(events[0].details, { homework_id: hw.id, student_id: w.sam.id, old_score: 7, new_score: 8.5 });

  // Feedback alone is not a regrade; a bulk change of score is.
  await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), { feedback: 'Well done' });
  t.is((await auditOf(w.school, 'submission.regraded')).length, 1);
  await w.request(w.teacher, 'POST', `/api/v1/homework/${hw.id}/grades`, { grades: [{ student_id: w.sam.id, score: 6 }] });
  const all = await auditOf(w.school, 'submission.regraded');
  t.is(all.length, 2);
  t.like(all[1].details, { old_score: 8.5, new_score: 6 });
});

test('only the class’s teachers and admins grade: other teachers get 404, students and guardians 403', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  const draft = await w.setHomework({ publish_at: undefined });
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My work' });
  const body = { score: 10, return: true };
  t.is((await w.request(w.otherTeacher, 'PUT', gradePath(hw, w.sam.id), body)).status, 404);
  t.is((await w.request(w.otherTeacher, 'POST', `/api/v1/homework/${hw.id}/grades`, { grades: [{ student_id: w.sam.id, ...body }] })).status, 404);
  t.is((await w.request(w.sam, 'PUT', gradePath(hw, w.sam.id), body)).status, 403);
  t.is((await w.request(w.sam, 'POST', `/api/v1/homework/${hw.id}/grades`, { grades: [{ student_id: w.sam.id, ...body }] })).status, 403);
  t.is((await w.request(w.guardian, 'PUT', gradePath(hw, w.sam.id), body)).status, 403);
  t.is((await w.request(w.teacher, 'PUT', gradePath(hw, w.olly.id), body)).status, 404, 'a student this homework is not assigned to');
  t.is((await w.request(w.teacher, 'PUT', gradePath(draft, w.sam.id), body)).status, 409, 'drafts have no work to grade');
  t.deepEqual(await inTables(w.school, (db) => db('submissions').whereNotNull('score').select('id')), [], 'nobody graded anything');
  t.is((await w.request(w.teacher, 'PUT', gradePath(hw, w.sam.id), body)).status, 200);
  t.is((await w.request(w.admin, 'PUT', gradePath(hw, w.ada.id), { score: 0 })).status, 200);
});

// Handing work in through HTTP: the window, late work, resubmission history, and who reads it
// (docs/permissions.md, "Submissions" rows).
import test from 'ava';
import { homeworkWorld, inTables } from '../helpers/homework.ts';

type Row = { student: { id: string }; status: string; late: boolean; version: number };
const byStudent = (res: { body: { data: Row[] } }) => Object.fromEntries(res.body.data.map((r) => [r.student.id, r.status]));

test('a student turns work in, turns it in again, and the earlier version is kept', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  const mine = `/api/v1/homework/${hw.id}/submission`;

  const before = await w.get(w.sam, mine);
  t.is(before.status, 200);
  t.is(before.body.status, 'assigned');
  t.is(before.body.id, null);
  t.true(before.body.open);
  t.is(before.body.closes_at, '2026-11-09T17:00:00.000Z');

  const first = await w.request(w.sam, 'PUT', mine, { body: 'My answer is **3/4** <script>x()</script>' });
  t.is(first.status, 200, first.text);
  t.is(first.body.status, 'turned_in');
  t.is(first.body.version, 1);
  t.false(first.body.late);
  t.is(first.body.submitted_at, w.clock.now().toISOString());
  t.true(first.body.body_html.includes('<strong>3/4</strong>'));
  t.false(/<script/i.test(first.body.body_html));
  t.deepEqual(first.body.history, []);

  w.clock.set('2026-11-03T10:00:00Z');
  const link = { name: 'Photo of my work', url: 'https://photos.example.org/1.jpg' };
  const second = await w.request(w.sam, 'PUT', mine, { body: 'Corrected: 6/8', attachments: [link] });
  t.is(second.status, 200);
  t.is(second.body.version, 2);
  t.is(second.body.body, 'Corrected: 6/8');
  t.deepEqual(second.body.attachments, [link]);
  t.is(second.body.submitted_at, '2026-11-03T10:00:00.000Z');
  t.is(second.body.history.length, 1);
  t.is(second.body.history[0].version, 1);
  t.is(second.body.history[0].body, 'My answer is **3/4** <script>x()</script>');
  t.is(second.body.history[0].submitted_at, '2026-11-02T09:00:00.000Z');

  // The teacher sees every assigned student, with nothing handed in as "assigned".
  const roster = await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions`);
  t.deepEqual(byStudent(roster), { [w.sam.id]: 'turned_in', [w.ada.id]: 'assigned' });
  t.deepEqual(
    roster.body.data.map((r: { student: { first_name: string } }) => r.student.first_name),
    ['Sam', 'Ada'],
    'by last name: Able, Byron',
  );
  const sams = await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions/${w.sam.id}`);
  t.is(sams.body.version, 2);
  t.deepEqual(
    sams.body.history.map((v: { body: string }) => v.body),
    ['My answer is **3/4** <script>x()</script>'],
  );
  const rows = await inTables(w.school, (db) => db('submissions').where({ homework_id: hw.id }).select('student_id', 'class_id', 'version', 'status'));
  t.deepEqual(rows, [{ student_id: w.sam.id, class_id: w.maths.id, version: 2, status: 'turned_in' }]);

  // The history a student reads in one answer stays bounded: 50 turn-ins at most.
  for (let i = 3; i <= 50; i++) t.is((await w.request(w.sam, 'PUT', mine, { body: `Try ${i}` })).status, 200);
  const fiftyFirst = await w.request(w.sam, 'PUT', mine, { body: 'Try 51' });
  t.is(fiftyFirst.status, 409);
  const last = await w.get(w.sam, mine);
  t.is(last.body.version, 50);
  t.is(last.body.body, 'Try 50');
  t.is(last.body.history.length, 49);
  t.deepEqual(
    last.body.history.slice(0, 2).map((v: { version: number }) => v.version),
    [49, 48],
    'newest first',
  );

  const empty = await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: '   ', attachments: [] });
  t.is(empty.status, 422);
  t.is(empty.body.errors[0].field, 'body');
  t.is((await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'x', grade: 10 })).status, 422);
});

test('late work is flagged until late_until, then refused; without a late window, due_at closes it', async (t) => {
  const w = await homeworkWorld();
  const withWindow = await w.setHomework({ due_at: '2026-11-09T17:00:00Z', late_until: '2026-11-10T17:00:00Z' });
  const strict = await w.setHomework({ due_at: '2026-11-09T17:00:00Z' });
  const put = (id: string, body: string) => w.request(w.sam, 'PUT', `/api/v1/homework/${id}/submission`, { body });

  t.is((await put(withWindow.id, 'on time')).body.late, false);
  w.clock.set('2026-11-09T17:00:00Z');
  t.is((await put(strict.id, 'just in time')).body.late, false, 'on the due minute is on time');

  w.clock.set('2026-11-10T09:00:00Z');
  const late = await put(withWindow.id, 'late fix');
  t.is(late.status, 200);
  t.true(late.body.late);
  t.is(late.body.status, 'turned_in');
  t.false(late.body.history[0].late, 'the first version was on time');
  t.deepEqual(byStudent(await w.get(w.teacher, `/api/v1/homework/${withWindow.id}/submissions`)), { [w.sam.id]: 'turned_in', [w.ada.id]: 'missing' });
  t.deepEqual(
    (await w.get(w.teacher, `/api/v1/homework/${withWindow.id}/submissions?status=missing`)).body.data.map((r: Row) => r.student.id),
    [w.ada.id],
  );
  t.is((await w.get(w.ada, `/api/v1/homework/${withWindow.id}/submission`)).body.status, 'missing');
  const closed = await put(strict.id, 'too late');
  t.is(closed.status, 409);
  t.regex(closed.body.detail, /stopped accepting work at 2026-11-09T17:00/);

  w.clock.set('2026-11-10T17:00:01Z');
  const tooLate = await w.request(w.ada, 'PUT', `/api/v1/homework/${withWindow.id}/submission`, { body: 'sorry' });
  t.is(tooLate.status, 409);
  t.regex(tooLate.body.detail, /including late work/);
  t.false((await w.get(w.ada, `/api/v1/homework/${withWindow.id}/submission`)).body.open);
  const rows = await inTables(w.school, (db) =>
    db('submissions').whereIn('homework_id', [withWindow.id, strict.id]).select('homework_id', 'student_id', 'version', 'late'),
  );
  t.deepEqual(
    rows.map((r) => [r.homework_id === withWindow.id ? 'window' : 'strict', r.student_id, r.version, r.late]).sort(),
    [
      ['strict', w.sam.id, 1, false],
      ['window', w.sam.id, 2, true],
    ],
    'the refused turn-ins changed nothing',
  );

  // Moving the due date re-judges work already in.
  await w.request(w.teacher, 'PATCH', `/api/v1/homework/${withWindow.id}`, { due_at: '2026-11-10T12:00:00Z' });
  t.false((await w.get(w.sam, `/api/v1/homework/${withWindow.id}/submission`)).body.late);
});

test('only students the published homework is assigned to can hand work in', async (t) => {
  const w = await homeworkWorld();
  const forAda = await w.setHomework({ assignee_ids: [w.ada.id] });
  const draft = await w.setHomework({ publish_at: undefined });
  const all = await w.setHomework();
  const put = (who: (typeof w)['sam'], id: string) => w.request(who, 'PUT', `/api/v1/homework/${id}/submission`, { body: 'work' });
  t.is((await put(w.sam, forAda.id)).status, 404, 'not assigned to Sam');
  t.is((await put(w.sam, draft.id)).status, 404, 'not published');
  t.is((await put(w.olly, all.id)).status, 404, 'another class');
  t.is((await put(w.teacher, all.id)).status, 403);
  t.is((await put(w.admin, all.id)).status, 403, 'nobody hands work in on a student’s behalf');
  t.is((await put(w.guardian, all.id)).status, 403);
  t.is((await put(w.ada, forAda.id)).status, 200);
  t.is((await w.get(w.teacher, `/api/v1/homework/${all.id}/submission`)).status, 404, 'teachers have no work of their own');
  const rows = await inTables(w.school, (db) => db('submissions').select('homework_id', 'student_id'));
  t.deepEqual(rows, [{ homework_id: forAda.id, student_id: w.ada.id }]);
  // The roster of homework for chosen students lists only them.
  t.deepEqual(byStudent(await w.get(w.teacher, `/api/v1/homework/${forAda.id}/submissions`)), { [w.ada.id]: 'turned_in' });
});

test('students read only their own work; guardians read their linked student’s, read-only', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Sam’s work' });
  await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'Ada’s work' });
  const one = (studentId: string) => `/api/v1/homework/${hw.id}/submissions/${studentId}`;

  t.deepEqual(byStudent(await w.get(w.sam, `/api/v1/homework/${hw.id}/submissions`)), { [w.sam.id]: 'turned_in' });
  t.is((await w.get(w.sam, one(w.sam.id))).body.body, 'Sam’s work');
  t.is((await w.get(w.sam, one(w.ada.id))).status, 404);

  t.deepEqual(byStudent(await w.get(w.guardian, `/api/v1/homework/${hw.id}/submissions`)), { [w.sam.id]: 'turned_in' });
  const seen = await w.get(w.guardian, one(w.sam.id));
  t.is(seen.status, 200);
  t.is(seen.body.body, 'Sam’s work');
  t.is((await w.get(w.guardian, one(w.ada.id))).status, 404);
  t.is((await w.get(w.guardian, `/api/v1/homework/${hw.id}/submission`)).status, 404);
  t.is((await w.request(w.guardian, 'PUT', `/api/v1/homework/${hw.id}/submissions/${w.sam.id}/grade`, { score: 10, return: true })).status, 403);

  for (const who of [w.otherGuardian, w.olly, w.otherTeacher]) {
    t.is((await w.get(who, one(w.sam.id))).status, 404);
    t.is((await w.get(who, `/api/v1/homework/${hw.id}/submissions`)).status, 404);
  }
  t.is((await w.get(w.teacher, one(w.olly.id))).status, 404, 'not a student this homework is assigned to');
  t.is((await w.get(w.admin, one(w.ada.id))).body.body, 'Ada’s work');
});

test('the roster pages by student name and filters by status', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  await w.request(w.ada, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'done' });
  const first = await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?limit=1`);
  t.is(first.body.data[0].student.id, w.sam.id);
  t.truthy(first.body.next_cursor);
  const second = await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?limit=1&cursor=${first.body.next_cursor}`);
  t.is(second.body.data[0].student.id, w.ada.id);
  t.is(second.body.next_cursor, null);
  t.deepEqual(
    (await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?status=turned_in`)).body.data.map((r: Row) => r.student.id),
    [w.ada.id],
  );
  t.deepEqual((await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?status=graded`)).body.data, []);
  t.is((await w.get(w.teacher, `/api/v1/homework/${hw.id}/submissions?status=lost`)).status, 422);
});

// Notices through HTTP, role by role (docs/permissions.md, "Notices" rows). Each test has its
// own app and clock, so moving time in one never disturbs another.
import test from 'ava';
import { fanOutDueNotices } from '../../api/notices/fan-out.ts';
import { withTenant } from '../../tenants/session.ts';
import { classroom } from '../helpers/classroom.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, inSchool, type Person } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const HOUR = 3_600_000;

async function noticeClassroom() {
  const clock = { now: new Date(Date.UTC(2026, 10, 23, 9, 0, 0)) };
  // No worker here: these tests look at deliveries as queued, before the worker sends them.
  const app = await startApp({}, { clock: () => clock.now, worker: false });
  const w = await classroom(app);
  const tick = (ms = 60_000) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  const notice = (who: Person, body: Record<string, unknown>, classId: string | null = w.mine.id) =>
    w.request(who, 'POST', classId ? `/api/v1/classes/${classId}/notices` : '/api/v1/notices', { body: 'Hello **class**', publish_at: 'now', ...body });
  return { ...w, clock, tick, notice };
}

type World = Awaited<ReturnType<typeof noticeClassroom>>;

const titles = async (w: World, who: Person, path = '/api/v1/notices') => {
  const res = await w.get(who, path);
  if (res.status !== 200) return res.status;
  return res.body.data.map((n: { title: string }) => n.title).sort();
};

test('class notices are posted by the class’s teachers and admins; school-wide ones by admins only', async (t) => {
  const w = await noticeClassroom();
  const byTeacher = await w.notice(w.teacher, { title: 'Trip on Friday', important: true });
  t.is(byTeacher.status, 201);
  t.is(byTeacher.body.class_id, w.mine.id);
  t.is(byTeacher.body.status, 'published');
  t.is(byTeacher.body.publish_at, w.clock.now.toISOString());
  t.true(byTeacher.body.important);
  t.false(byTeacher.body.pinned);
  t.is(byTeacher.body.body_html, '<p>Hello <strong>class</strong></p>');
  t.is((await w.notice(w.admin, { title: 'From the office' })).status, 201);
  t.is((await w.notice(w.otherTeacher, { title: 'Not my class' })).status, 404, 'a class they do not teach looks absent');
  t.is((await w.notice(w.student, { title: 'Party' })).status, 403);
  t.is((await w.notice(w.guardian, { title: 'Party' })).status, 403);

  const schoolWide = await w.notice(w.admin, { title: 'Snow day' }, null);
  t.is(schoolWide.status, 201);
  t.is(schoolWide.body.class_id, null);
  const refused = await w.notice(w.teacher, { title: 'Staff party' }, null);
  t.is(refused.status, 403);
  t.regex(refused.body.detail, /admins/);
  t.is((await w.notice(w.student, { title: 'Hi' }, null)).status, 403);
  t.deepEqual(await titles(w, w.admin), ['From the office', 'Snow day', 'Trip on Friday'], 'refused posts left nothing behind');
});

test('who sees which notice: drafts for staff, published ones for students and guardians, school-wide for all', async (t) => {
  const w = await noticeClassroom();
  await w.notice(w.teacher, { title: 'Mine published' });
  const draft = (await w.notice(w.teacher, { title: 'Mine draft', publish_at: null })).body;
  t.is(draft.status, 'draft');
  t.is(draft.publish_at, null);
  await w.notice(w.otherTeacher, { title: 'Theirs published' }, w.theirs.id);
  await w.notice(w.admin, { title: 'School published' }, null);
  await w.notice(w.admin, { title: 'School draft', publish_at: null }, null).then((r) => t.is(r.body.status, 'draft'));

  t.deepEqual(await titles(w, w.admin), ['Mine draft', 'Mine published', 'School draft', 'School published', 'Theirs published']);
  t.deepEqual(await titles(w, w.teacher), ['Mine draft', 'Mine published', 'School published']);
  t.deepEqual(await titles(w, w.otherTeacher), ['School published', 'Theirs published']);
  t.deepEqual(await titles(w, w.student), ['Mine published', 'School published']);
  t.deepEqual(await titles(w, w.guardian), ['Mine published', 'School published']);
  t.deepEqual(await titles(w, w.otherStudent), ['School published', 'Theirs published']);
  t.deepEqual(await titles(w, w.otherGuardian), ['School published', 'Theirs published']);

  // The class's own list: only its notices, and the same rule.
  t.deepEqual(await titles(w, w.student, `/api/v1/classes/${w.mine.id}/notices`), ['Mine published']);
  t.deepEqual(await titles(w, w.teacher, `/api/v1/classes/${w.mine.id}/notices`), ['Mine draft', 'Mine published']);
  t.is(await titles(w, w.otherStudent, `/api/v1/classes/${w.mine.id}/notices`), 404);
  t.is(await titles(w, w.otherGuardian, `/api/v1/classes/${w.mine.id}/notices`), 404);

  // Single reads obey the same rule.
  t.is((await w.get(w.student, `/api/v1/notices/${draft.id}`)).status, 404);
  t.is((await w.get(w.guardian, `/api/v1/notices/${draft.id}`)).status, 404);
  t.is((await w.get(w.otherTeacher, `/api/v1/notices/${draft.id}`)).status, 404);
  t.is((await w.get(w.teacher, `/api/v1/notices/${draft.id}`)).body.title, 'Mine draft');

  // Filters.
  t.deepEqual(await titles(w, w.admin, '/api/v1/notices?school_wide=true'), ['School draft', 'School published']);
  t.deepEqual(await titles(w, w.admin, `/api/v1/notices?class_id=${w.theirs.id}`), ['Theirs published']);
  t.deepEqual(await titles(w, w.admin, '/api/v1/notices?status=draft'), ['Mine draft', 'School draft']);
  t.deepEqual(await titles(w, w.student, '/api/v1/notices?status=draft'), []);
});

test('a scheduled notice is invisible to readers until the clock passes publish_at', async (t) => {
  const w = await noticeClassroom();
  const at = new Date(w.clock.now.getTime() + 2 * HOUR).toISOString();
  const scheduled = await w.notice(w.teacher, { title: 'Test next week', publish_at: at });
  t.is(scheduled.status, 201);
  t.is(scheduled.body.status, 'scheduled');
  t.is(scheduled.body.publish_at, at);
  const id = scheduled.body.id as string;
  t.deepEqual(await titles(w, w.student), []);
  t.is((await w.get(w.guardian, `/api/v1/notices/${id}`)).status, 404);
  t.is((await w.request(w.student, 'POST', `/api/v1/notices/${id}/read`)).status, 404);
  t.deepEqual(await titles(w, w.teacher, '/api/v1/notices?status=scheduled'), ['Test next week']);

  w.tick(HOUR);
  t.deepEqual(await titles(w, w.student), [], 'still an hour to go');
  w.tick(HOUR);
  t.deepEqual(await titles(w, w.student), ['Test next week'], 'visible the moment its time comes');
  t.is((await w.get(w.guardian, `/api/v1/notices/${id}`)).body.status, 'published');
  t.is((await w.request(w.student, 'POST', `/api/v1/notices/${id}/read`)).status, 200);
});

test('publish times: school wall-clock input, past times publish now, and rescheduling', async (t) => {
  const w = await noticeClassroom();
  const { dbs } = testEnv();
  await dbs.owner('tenants').where({ id: w.school.tenant.id }).update({ timezone: 'America/New_York' });
  const local = await w.notice(w.teacher, { title: 'Concert', publish_at: '2026-12-01T17:00' });
  t.is(local.body.publish_at, '2026-12-01T22:00:00.000Z');
  t.is(local.body.publish_at_local, '2026-12-01T17:00');
  t.is(local.body.status, 'scheduled');

  const past = await w.notice(w.teacher, { title: 'Late', publish_at: '2026-01-01T08:00:00Z' });
  t.is(past.status, 201);
  t.is(past.body.status, 'published');
  t.is(past.body.publish_at, w.clock.now.toISOString(), 'published now, not back-dated');

  w.tick(HOUR);
  const nowed = await w.request(w.teacher, 'PATCH', `/api/v1/notices/${local.body.id}`, { publish_at: 'now' });
  t.is(nowed.body.status, 'published');
  t.is(nowed.body.publish_at, w.clock.now.toISOString());
  w.tick(HOUR);
  const again = await w.request(w.teacher, 'PATCH', `/api/v1/notices/${local.body.id}`, { publish_at: 'now', title: 'Concert!' });
  t.is(again.body.publish_at, nowed.body.publish_at, 'publishing a published notice keeps its time');
  const back = await w.request(w.teacher, 'PATCH', `/api/v1/notices/${local.body.id}`, { publish_at: null });
  t.is(back.body.status, 'draft');
  t.deepEqual(await titles(w, w.student), ['Late']);

  for (const publish_at of ['tomorrow', '2026-13-01T10:00', '2026-02-30T10:00Z', '2026-12-01T25:00', 'now!', 12]) {
    const res = await w.notice(w.teacher, { title: 'Bad', publish_at });
    t.is(res.status, 422, String(publish_at));
    t.is(res.body.errors[0].field, 'publish_at');
  }
});

test('pinned notices come first, then newest', async (t) => {
  const w = await noticeClassroom();
  for (const [title, pinned] of [
    ['oldest', false],
    ['pinned old', true],
    ['middle', false],
    ['pinned new', true],
    ['newest', false],
  ] as const) {
    await w.notice(w.teacher, { title, pinned });
    w.tick();
  }
  const draft = await w.notice(w.teacher, { title: 'draft', publish_at: null });
  t.is(draft.status, 201);
  const order = async (who: Person, query = '') => (await w.get(who, `/api/v1/notices${query}`)).body.data.map((n: { title: string }) => n.title);
  t.deepEqual(await order(w.student), ['pinned new', 'pinned old', 'newest', 'middle', 'oldest']);
  t.deepEqual(await order(w.teacher), ['pinned new', 'pinned old', 'draft', 'newest', 'middle', 'oldest']);
  t.deepEqual(await order(w.student, '?pinned=false'), ['newest', 'middle', 'oldest']);

  // Unpinning moves it down to its place by time; pages follow the same order.
  const pinnedNew = (await w.get(w.teacher, '/api/v1/notices?pinned=true')).body.data[0];
  await w.request(w.teacher, 'PATCH', `/api/v1/notices/${pinnedNew.id}`, { pinned: false });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { data: { title: string }[]; next_cursor: string | null } } = await w.get(
      w.guardian,
      `/api/v1/notices?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
    );
    seen.push(...page.body.data.map((n) => n.title));
    cursor = page.body.next_cursor;
  } while (cursor);
  t.deepEqual(seen, ['pinned old', 'newest', 'pinned new', 'middle', 'oldest']);
});

test('read receipts: each reader marks once; teachers see who has and has not read', async (t) => {
  const w = await noticeClassroom();
  const classmate = await createPerson(w.school, 'student', { first_name: 'Zed', last_name: 'Zulu' });
  await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/members`, { user_id: classmate.id, role: 'student' });
  const id = (await w.notice(w.teacher, { title: 'Permission slips' })).body.id as string;

  t.false((await w.get(w.student, `/api/v1/notices/${id}`)).body.read);
  const first = await w.request(w.student, 'POST', `/api/v1/notices/${id}/read`);
  t.is(first.status, 200);
  t.is(first.body.read_at, w.clock.now.toISOString());
  w.tick(HOUR);
  const again = await w.request(w.student, 'POST', `/api/v1/notices/${id}/read`);
  t.is(again.status, 200);
  t.is(again.body.read_at, first.body.read_at, 'marking again keeps the first read');
  const mine = (await w.get(w.student, '/api/v1/notices')).body.data[0];
  t.true(mine.read);
  t.is(mine.read_at, first.body.read_at);
  t.false((await w.get(classmate, '/api/v1/notices')).body.data[0].read, 'read is per person');
  t.is((await w.request(w.guardian, 'POST', `/api/v1/notices/${id}/read`)).status, 200, 'guardians may mark it read too');
  t.is((await w.request(w.otherStudent, 'POST', `/api/v1/notices/${id}/read`)).status, 404);

  const receipts = await w.get(w.teacher, `/api/v1/notices/${id}/receipts`);
  t.is(receipts.status, 200);
  t.is(receipts.body.audience, 'class');
  t.deepEqual(receipts.body.summary, { total: 2, read: 1, unread: 1, by_role: [{ role: 'student', total: 2, read: 1 }] });
  t.deepEqual(
    receipts.body.data.map((r: { user: { id: string }; read_at: string | null }) => [r.user.id, r.read_at]),
    [
      [w.student.id, first.body.read_at],
      [classmate.id, null],
    ],
  );
  const unread = await w.get(w.admin, `/api/v1/notices/${id}/receipts?read=false`);
  t.deepEqual(
    unread.body.data.map((r: { user: { id: string } }) => r.user.id),
    [classmate.id],
  );
  t.is((await w.get(w.student, `/api/v1/notices/${id}/receipts`)).status, 403);
  t.is((await w.get(w.guardian, `/api/v1/notices/${id}/receipts`)).status, 403);
  t.is((await w.get(w.otherTeacher, `/api/v1/notices/${id}/receipts`)).status, 404);

  // A draft cannot be read yet.
  const draft = (await w.notice(w.teacher, { title: 'Draft', publish_at: null })).body.id;
  t.is((await w.request(w.teacher, 'POST', `/api/v1/notices/${draft}/read`)).status, 409);
});

test('school-wide receipts count everyone by role, for admins only', async (t) => {
  const w = await noticeClassroom();
  const id = (await w.notice(w.admin, { title: 'Snow day' }, null)).body.id as string;
  for (const who of [w.teacher, w.student, w.guardian]) t.is((await w.request(who, 'POST', `/api/v1/notices/${id}/read`)).status, 200);
  const receipts = await w.get(w.admin, `/api/v1/notices/${id}/receipts?limit=3`);
  t.is(receipts.body.audience, 'school');
  t.deepEqual(receipts.body.summary, {
    total: 7,
    read: 3,
    unread: 4,
    by_role: [
      { role: 'admin', total: 1, read: 0 },
      { role: 'guardian', total: 2, read: 1 },
      { role: 'student', total: 2, read: 1 },
      { role: 'teacher', total: 2, read: 1 },
    ],
  });
  t.is(receipts.body.data.length, 3);
  const rest = await w.get(w.admin, `/api/v1/notices/${id}/receipts?limit=3&cursor=${receipts.body.next_cursor}`);
  const rest2 = await w.get(w.admin, `/api/v1/notices/${id}/receipts?limit=3&cursor=${rest.body.next_cursor}`);
  t.is(rest2.body.next_cursor, null);
  t.is(new Set([...receipts.body.data, ...rest.body.data, ...rest2.body.data].map((r: { user: { id: string } }) => r.user.id)).size, 7);
  const guardians = await w.get(w.admin, `/api/v1/notices/${id}/receipts?role=guardian&read=true`);
  t.deepEqual(
    guardians.body.data.map((r: { user: { id: string } }) => r.user.id),
    [w.guardian.id],
  );
  t.is((await w.get(w.teacher, `/api/v1/notices/${id}/receipts`)).status, 403, 'teachers see school-wide notices but do not manage them');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/notices/${id}`, { title: 'Mine' })).status, 403);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/notices/${id}`)).status, 403);
});

test('changing and deleting: the class’s teachers and admins; others are refused', async (t) => {
  const w = await noticeClassroom();
  const id = (await w.notice(w.teacher, { title: 'Homework club' })).body.id as string;
  t.is((await w.request(w.otherTeacher, 'PATCH', `/api/v1/notices/${id}`, { title: 'x' })).status, 404);
  t.is((await w.request(w.student, 'PATCH', `/api/v1/notices/${id}`, { title: 'x' })).status, 403);
  t.is((await w.request(w.guardian, 'DELETE', `/api/v1/notices/${id}`)).status, 403);
  const changed = await w.request(w.admin, 'PATCH', `/api/v1/notices/${id}`, { title: 'Homework club moved', important: true, body: 'Room *12*' });
  t.is(changed.status, 200);
  t.is(changed.body.title, 'Homework club moved');
  t.is(changed.body.body_html, '<p>Room <em>12</em></p>');
  t.true(changed.body.important);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/notices/${id}`, {})).status, 422);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/notices/${id}`)).status, 204);
  t.is((await w.get(w.teacher, `/api/v1/notices/${id}`)).status, 404);
  const { dbs } = testEnv();
  const actions = await withTenant(dbs.app, { id: w.school.tenant.id }, (db) =>
    db('audit_events').where({ target_id: id }).orderBy('occurred_at').pluck('action'),
  );
  t.deepEqual(actions, ['notice.created', 'notice.updated', 'notice.deleted']);
});

test('an archived class’s notices stay readable and cannot change', async (t) => {
  const w = await noticeClassroom();
  const id = (await w.notice(w.teacher, { title: 'Last day' })).body.id as string;
  await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: true });
  t.deepEqual(await titles(w, w.student), ['Last day']);
  t.is((await w.notice(w.teacher, { title: 'After' })).status, 409);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/notices/${id}`, { title: 'x' })).status, 409);
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/notices/${id}`)).status, 409);
  t.is((await w.request(w.student, 'POST', `/api/v1/notices/${id}/read`)).status, 200, 'reading is not changing the class');
  t.is((await w.get(w.teacher, `/api/v1/notices/${id}/receipts`)).body.summary.read, 1);
});

test('bad input is a 422 with field errors; Markdown is sanitised', async (t) => {
  const w = await noticeClassroom();
  const field = async (body: Record<string, unknown>, name: string) => {
    const res = await w.notice(w.teacher, body);
    t.is(res.status, 422);
    t.true(
      res.body.errors.some((e: { field: string }) => e.field === name),
      JSON.stringify(res.body.errors),
    );
  };
  await field({ title: '' }, 'title');
  await field({ title: 'x', body: '   ' }, 'body');
  await field({ title: 'x', body: 'y'.repeat(100_001) }, 'body');
  await field({ title: 'x', pinned: 'yes' }, 'pinned');
  await field({ title: 'x', class_id: w.theirs.id }, '');
  t.deepEqual(await titles(w, w.admin), []);
  t.is((await w.get(w.admin, '/api/v1/notices?important=maybe')).status, 422);
  t.is((await w.get(w.admin, '/api/v1/notices?class_id=nope')).status, 422);

  const roomy = await startApp({ bodyLimit: '5mb' }, { worker: false });
  const huge = await roomy.request(w.school.slug, 'POST', `/api/v1/classes/${w.mine.id}/notices`, {
    token: w.teacher.token,
    body: { title: 'Huge', body: 'z'.repeat(2 * 1024 * 1024) },
  });
  t.is(huge.status, 422);
  t.is(huge.body.errors[0].field, 'body');

  const xss = await w.notice(w.teacher, { title: 'XSS', body: '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>' });
  t.is(xss.status, 201);
  t.false(/<script|onerror=|href="javascript:/i.test(xss.body.body_html));
  t.true(xss.body.body_html.includes('&lt;script&gt;'), 'raw HTML is shown as text');
});

type Delivery = { user_id: string; status: string };
const deliveries = (w: World, noticeId: string): Promise<Delivery[]> => {
  const { dbs } = testEnv();
  return withTenant(dbs.app, { id: w.school.tenant.id }, (db) =>
    db('notice_deliveries').where({ notice_id: noticeId }).select('user_id', 'status').orderBy('user_id'),
  );
};
const recipients = (rows: Delivery[], status = 'pending') =>
  rows
    .filter((d) => d.status === status)
    .map((d) => d.user_id)
    .sort();

test('publishing queues one pending delivery per recipient; drafts and scheduled notices queue none yet', async (t) => {
  const w = await noticeClassroom();
  const published = (await w.notice(w.teacher, { title: 'Trip' })).body.id;
  t.deepEqual(recipients(await deliveries(w, published)), [w.student.id, w.guardian.id].sort(), 'enrolled students and their guardians, not the author');

  const schoolWide = (await w.notice(w.admin, { title: 'Snow' }, null)).body.id;
  const everyoneButAuthor = [w.teacher, w.otherTeacher, w.student, w.otherStudent, w.guardian, w.otherGuardian].map((p) => p.id).sort();
  t.deepEqual(recipients(await deliveries(w, schoolWide)), everyoneButAuthor);

  const draft = (await w.notice(w.teacher, { title: 'Draft', publish_at: null })).body.id;
  t.deepEqual(await deliveries(w, draft), []);
  await w.request(w.teacher, 'PATCH', `/api/v1/notices/${draft}`, { title: 'Still a draft' });
  t.deepEqual(await deliveries(w, draft), []);
  await w.request(w.teacher, 'PATCH', `/api/v1/notices/${draft}`, { publish_at: 'now' });
  t.deepEqual(recipients(await deliveries(w, draft)), [w.student.id, w.guardian.id].sort(), 'updated to publish now');

  // Unpublishing cancels what was not sent; publishing again queues it again, once.
  await w.request(w.teacher, 'PATCH', `/api/v1/notices/${draft}`, { publish_at: null });
  t.deepEqual(recipients(await deliveries(w, draft), 'cancelled'), [w.student.id, w.guardian.id].sort());
  await w.request(w.teacher, 'PATCH', `/api/v1/notices/${draft}`, { publish_at: 'now' });
  const republished = await deliveries(w, draft);
  t.is(republished.length, 2);
  t.deepEqual(recipients(republished), [w.student.id, w.guardian.id].sort());

  // Scheduled: nothing until its time has come and the scheduled-publishing job runs.
  const later = new Date(w.clock.now.getTime() + 3 * HOUR);
  const scheduled = (await w.notice(w.teacher, { title: 'Later', publish_at: later.toISOString() })).body.id;
  t.deepEqual(await deliveries(w, scheduled), []);
  const early = await inSchool(w.school, (scope) => fanOutDueNotices({ ...scope, clock: () => new Date(later.getTime() - 1) }));
  t.deepEqual(early, []);
  const due = await inSchool(w.school, (scope) => fanOutDueNotices({ ...scope, clock: () => later }));
  t.deepEqual(due, [scheduled]);
  t.deepEqual(recipients(await deliveries(w, scheduled)), [w.student.id, w.guardian.id].sort());
  t.deepEqual(await inSchool(w.school, (scope) => fanOutDueNotices({ ...scope, clock: () => later })), [], 'each notice fans out once');
  t.is((await deliveries(w, published)).length, 2, 'earlier notices are not queued again');
});

// Classes and rosters through HTTP, role by role (docs/permissions.md, "Classes" rows).
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, linkGuardian, type Person, scene } from '../helpers/factories.ts';

function twoClasses() {
  return scene({
    people: { teacher: 'teacher', otherTeacher: 'teacher', student: 'student', outsider: 'student' },
    classes: {
      mine: { name: 'Maths', teachers: ['teacher'], students: ['student'] },
      theirs: { name: 'History', teachers: ['otherTeacher'] },
    },
  });
}

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((c) => c.id).sort();

test('admin sees and manages every class', async (t) => {
  const w = await twoClasses();
  t.deepEqual(ids(await w.get(w.admin, '/api/v1/classes')), [w.mine.id, w.theirs.id].sort());
  const patched = await w.request(w.admin, 'PATCH', `/api/v1/classes/${w.theirs.id}`, { description: 'Ancient Egypt' });
  t.is(patched.status, 200);
  t.is(patched.body.description, 'Ancient Egypt');
  t.is((await w.get(w.admin, `/api/v1/classes/${w.mine.id}/members`)).body.data.length, 2);
  t.is((await w.request(w.admin, 'POST', '/api/v1/classes/join', { code: 'ABCDEFG' })).status, 403, 'admins do not join by code');
});

test('a teacher sees and manages only the classes they teach', async (t) => {
  const w = await twoClasses();
  t.deepEqual(ids(await w.get(w.teacher, '/api/v1/classes')), [w.mine.id]);
  t.is((await w.get(w.teacher, `/api/v1/classes/${w.mine.id}`)).status, 200);
  t.is((await w.get(w.teacher, `/api/v1/classes/${w.theirs.id}`)).status, 404, 'another teacher’s class looks absent');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.theirs.id}`, { name: 'Mine now' })).status, 404);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { name: 'Maths 5B' })).body.name, 'Maths 5B');
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/members`, { user_id: w.outsider.id, role: 'student' })).status, 204);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.theirs.id}/members`, { user_id: w.outsider.id, role: 'student' })).status, 404);
  const created = await w.request(w.teacher, 'POST', '/api/v1/classes', { name: 'Art Club', term_start: '2026-09-01', term_end: '2027-07-15' });
  t.is(created.status, 201);
  t.is(created.body.term_end, '2027-07-15');
  t.regex(created.body.join_code, /^[A-Z2-9]{7}$/);
  t.deepEqual(ids(await w.get(w.teacher, '/api/v1/classes')), [w.mine.id, created.body.id].sort(), 'the creator teaches the new class');
});

test('a student sees only enrolled classes, cannot change them, and never sees the join code', async (t) => {
  const w = await twoClasses();
  const list = await w.get(w.student, '/api/v1/classes');
  t.deepEqual(ids(list), [w.mine.id]);
  t.is(list.body.data[0].join_code, null);
  t.is((await w.get(w.student, `/api/v1/classes/${w.theirs.id}`)).status, 404);
  t.is((await w.request(w.student, 'PATCH', `/api/v1/classes/${w.mine.id}`, { name: 'Recess' })).status, 403, 'visible but not changeable');
  t.is((await w.request(w.student, 'POST', '/api/v1/classes', { name: 'Mine' })).status, 403);
  t.is((await w.get(w.student, `/api/v1/classes/${w.mine.id}/members`)).status, 403);
  t.deepEqual(ids(await w.get(w.outsider, '/api/v1/classes')), []);
});

test('students join with the code; rotating or disabling it stops the old code', async (t) => {
  const w = await twoClasses();
  const code = (await w.get(w.teacher, `/api/v1/classes/${w.mine.id}`)).body.join_code as string;
  const joined = await w.request(w.outsider, 'POST', '/api/v1/classes/join', { code: ` ${code.toLowerCase().slice(0, 3)}-${code.slice(3)} ` });
  t.is(joined.status, 201);
  t.is(joined.body.id, w.mine.id);
  t.is((await w.request(w.outsider, 'POST', '/api/v1/classes/join', { code })).status, 200, 'joining twice is harmless');
  t.is((await w.request(w.teacher, 'POST', '/api/v1/classes/join', { code })).status, 403, 'teachers are added, not joined');

  const rotated = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/join-code`);
  t.not(rotated.body.join_code, code);
  const late = await createPerson(w.school, 'student');
  const refused = await w.request(late, 'POST', '/api/v1/classes/join', { code });
  t.is(refused.status, 422);
  t.is(refused.body.errors[0].field, 'code');
  await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { join_code_enabled: false });
  t.is((await w.request(late, 'POST', '/api/v1/classes/join', { code: rotated.body.join_code })).status, 422);
});

test('archived classes stay readable and refuse changes until unarchived', async (t) => {
  const w = await twoClasses();
  t.true((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: true })).body.archived);
  t.is((await w.get(w.student, `/api/v1/classes/${w.mine.id}`)).status, 200);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { name: 'X' })).status, 409);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/members`, { user_id: w.outsider.id, role: 'student' })).status, 409);
  t.deepEqual(ids(await w.get(w.teacher, '/api/v1/classes?archived=false')), []);
  t.false((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: false, name: 'Maths again' })).body.archived);
});

test('roster rules: roles must fit, duplicates conflict, removal works once', async (t) => {
  const w = await twoClasses();
  const add = (body: unknown) => w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/members`, body);
  t.is((await add({ user_id: w.student.id, role: 'student' })).status, 409);
  const misfit = await add({ user_id: w.outsider.id, role: 'teacher' });
  t.is(misfit.status, 422);
  t.is(misfit.body.errors[0].field, 'role');
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/classes/${w.mine.id}/members/${w.student.id}`)).status, 204);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/classes/${w.mine.id}/members/${w.student.id}`)).status, 404);
  t.is((await w.get(w.student, `/api/v1/classes/${w.mine.id}`)).status, 404, 'removed students lose access at once');
  const { dbs } = testEnv();
  const actions = await withTenant(dbs.app, { id: w.school.tenant.id }, (db) => db('audit_events').where({ target_id: w.mine.id }).pluck('action'));
  t.true(actions.includes('class.member_removed'));
});

test('lists page with a cursor, at most 100 at a time', async (t) => {
  const w = await twoClasses();
  for (let i = 0; i < 5; i++) await w.request(w.admin, 'POST', '/api/v1/classes', { name: `Class ${i}` });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { data: { id: string; name: string }[]; next_cursor: string | null } } = await w.get(
      w.admin,
      `/api/v1/classes?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
    );
    t.true(page.body.data.length <= 3);
    seen.push(...page.body.data.map((c) => c.name));
    cursor = page.body.next_cursor;
  } while (cursor);
  t.deepEqual(seen, ['Class 0', 'Class 1', 'Class 2', 'Class 3', 'Class 4', 'History', 'Maths']);
  t.is((await w.get(w.admin, '/api/v1/classes?limit=101')).status, 422);
  t.is((await w.get(w.admin, '/api/v1/classes?cursor=garbage')).status, 422);
});

test('teachers see staff and their own students; students see only themselves', async (t) => {
  const w = await twoClasses();
  const emails = async (who: Person) => (await w.get(who, '/api/v1/users?limit=100')).body.data.map((u: { id: string }) => u.id).sort();
  t.deepEqual(await emails(w.teacher), [w.school.admin.id, w.teacher.id, w.otherTeacher.id, w.student.id].sort());
  t.deepEqual(await emails(w.student), [w.student.id]);
  t.is((await w.get(w.student, `/api/v1/users/${w.outsider.id}`)).status, 404);
  t.is((await w.request(w.teacher, 'POST', '/api/v1/users', { email: 'x@y.test', first_name: 'X', last_name: 'Y', role: 'student' })).status, 403);
  const made = await w.request(w.admin, 'POST', '/api/v1/users', { email: 'New@Y.test', first_name: 'N', last_name: 'Y', role: 'student' });
  t.is(made.status, 201);
  t.is(made.body.email, 'new@y.test');
  t.is((await w.request(w.admin, 'POST', '/api/v1/users', { email: 'new@y.TEST', first_name: 'N', last_name: 'Y', role: 'student' })).status, 409);
});

test('everyone in a class sees its people by name; guardians and outsiders do not', async (t) => {
  const w = await twoClasses();
  const people = await w.get(w.student, `/api/v1/classes/${w.mine.id}/people`);
  t.is(people.status, 200);
  t.deepEqual(
    people.body.data.map((p: { id: string; role: string }) => [p.id, p.role]),
    [
      [w.teacher.id, 'teacher'],
      [w.student.id, 'student'],
    ],
    'teachers first',
  );
  t.false(JSON.stringify(people.body).includes('@'), 'no emails');
  t.is((await w.get(w.outsider, `/api/v1/classes/${w.mine.id}/people`)).status, 404);
  const guardian = await createPerson(w.school, 'guardian');
  await linkGuardian(w.school, guardian, w.student);
  t.is((await w.get(guardian, `/api/v1/classes/${w.mine.id}/people`)).status, 403);
  t.is((await w.get(w.teacher, `/api/v1/classes/${w.mine.id}/people`)).body.data.length, 2);
});

test('a teacher may add any active student of the school to a class they teach: audited, and the student sees the class at once', async (t) => {
  const w = await twoClasses();
  t.is((await w.get(w.outsider, `/api/v1/classes/${w.mine.id}`)).status, 404);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/members`, { user_id: w.outsider.id, role: 'student' })).status, 204);
  t.deepEqual(ids(await w.get(w.outsider, '/api/v1/classes')), [w.mine.id], 'the student sees the class they were added to');
  const log = await w.get(w.admin, `/api/v1/audit-events?action=class.member_added&actor_id=${w.teacher.id}`);
  t.is(log.status, 200);
  t.like(log.body.data[0], {
    action: 'class.member_added',
    actor: { type: 'user', id: w.teacher.id },
    target: { type: 'class', id: w.mine.id },
    details: { user_id: w.outsider.id, role: 'student' },
  });
  // Never into a class they do not teach.
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.theirs.id}/members`, { user_id: w.outsider.id, role: 'student' })).status, 404);
});

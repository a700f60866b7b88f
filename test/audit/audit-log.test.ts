// The audit log route: admins read their school's trail, newest first, filtered and paged;
// nobody else reads it at all.
import test from 'ava';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('admins page through the audit log newest first, with filters; others get 403', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const klass = await createClassIn(school, { teachers: [teacher] }, 'Maths');
  for (const name of ['Maths 1', 'Maths 2', 'Maths 3']) {
    t.is((await app.request(school.slug, 'PATCH', `/api/v1/classes/${klass.id}`, { token: teacher.token, body: { name } })).status, 200);
  }
  const get = (token: string, query: string) => app.request(school.slug, 'GET', `/api/v1/audit-events${query}`, { token });
  const updates = await get(school.admin.token, `?action=class.updated&target_id=${klass.id}&limit=2`);
  t.is(updates.status, 200);
  t.is(updates.body.data.length, 2);
  t.true(updates.body.data.every((e: { action: string; actor: { id: string } }) => e.action === 'class.updated' && e.actor.id === teacher.id));
  t.true(updates.body.data[0].occurred_at >= updates.body.data[1].occurred_at, 'newest first');
  const rest = await get(school.admin.token, `?action=class.updated&target_id=${klass.id}&limit=2&cursor=${updates.body.next_cursor}`);
  t.is(rest.body.data.length, 1);
  t.is(rest.body.next_cursor, null);
  const ids = [...updates.body.data, ...rest.body.data].map((e: { id: string }) => e.id);
  t.is(new Set(ids).size, 3, 'no event twice across pages');
  const byPrefix = await get(school.admin.token, '?action=class.&limit=100');
  t.true(byPrefix.body.data.some((e: { action: string }) => e.action === 'class.created'));
  t.true(byPrefix.body.data.every((e: { action: string }) => e.action.startsWith('class.')));
  t.is((await get(teacher.token, '')).status, 403);
  t.is((await get(school.admin.token, '?since=yesterday')).status, 422);
  const other = await createSchool();
  const theirs = await app.request(other.slug, 'GET', `/api/v1/audit-events?target_id=${klass.id}`, { token: other.admin.token });
  t.deepEqual(theirs.body.data, [], 'another school’s admin sees nothing of this school');
});

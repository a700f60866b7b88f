// The audit log route: admins read their school's trail, newest first, filtered and paged;
// nobody else reads it at all.
import test from 'ava';
import { type Person, scene } from '../helpers/factories.ts';

test('admins page through the audit log newest first, with filters; others get 403', async (t) => {
  const w = await scene({ people: { teacher: 'teacher' }, classes: { klass: { name: 'Maths', teachers: ['teacher'] } } });
  const { admin, teacher, klass } = w;
  for (const name of ['Maths 1', 'Maths 2', 'Maths 3']) {
    t.is((await w.request(teacher, 'PATCH', `/api/v1/classes/${klass.id}`, { name })).status, 200);
  }
  const get = (who: Person, query: string) => w.get(who, `/api/v1/audit-events${query}`);
  const updates = await get(admin, `?action=class.updated&target_id=${klass.id}&limit=2`);
  t.is(updates.status, 200);
  t.is(updates.body.data.length, 2);
  t.true(updates.body.data.every((e: { action: string; actor: { id: string } }) => e.action === 'class.updated' && e.actor.id === teacher.id));
  t.true(updates.body.data[0].occurred_at >= updates.body.data[1].occurred_at, 'newest first');
  const rest = await get(admin, `?action=class.updated&target_id=${klass.id}&limit=2&cursor=${updates.body.next_cursor}`);
  t.is(rest.body.data.length, 1);
  t.is(rest.body.next_cursor, null);
  const ids = [...updates.body.data, ...rest.body.data].map((e: { id: string }) => e.id);
  t.is(new Set(ids).size, 3, 'no event twice across pages');
  const byPrefix = await get(admin, '?action=class.&limit=100');
  t.true(byPrefix.body.data.some((e: { action: string }) => e.action === 'class.created'));
  t.true(byPrefix.body.data.every((e: { action: string }) => e.action.startsWith('class.')));
  t.is((await get(teacher, '')).status, 403);
  t.is((await get(admin, '?since=yesterday')).status, 422);
  const other = await scene({ app: w.app, people: {} });
  const theirs = await other.get(other.admin, `/api/v1/audit-events?target_id=${klass.id}`);
  t.deepEqual(theirs.body.data, [], 'another school’s admin sees nothing of this school');
});

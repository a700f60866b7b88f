// Homework through HTTP, role by role (docs/permissions.md, "Homework" rows).
import test from 'ava';
import { testEnv } from '../helpers/env.ts';
import { homeworkWorld, inTables } from '../helpers/homework.ts';

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((h) => h.id);
const sorted = (values: string[]) => [...values].sort();

test('a teacher sets homework: Markdown comes back rendered and sanitised, times in ISO and school time', async (t) => {
  const w = await homeworkWorld();
  await testEnv().dbs.owner('tenants').where({ id: w.school.tenant.id }).update({ timezone: 'America/New_York' });
  const res = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, {
    title: '  Fractions  ',
    instructions: '# Task\n\nRead p. 4 <script>alert("x")</script> <img src=x onerror=alert(1)> [help](javascript:alert(1))',
    points: 12.5,
    due_at: '2026-11-09T17:00',
    late_until: '2026-11-10T17:00',
    publish_at: 'now',
    attachments: [{ name: 'Worksheet', url: 'https://example.org/w.pdf', content_type: 'application/pdf' }],
  });
  t.is(res.status, 201, res.text);
  const hw = res.body;
  t.is(hw.title, 'Fractions');
  t.is(hw.class_id, w.maths.id);
  t.is(hw.points, 12.5);
  t.is(hw.due_at, '2026-11-09T22:00:00.000Z', 'a bare time is read in the school’s time zone');
  t.is(hw.due_at_local, '2026-11-09T17:00');
  t.is(hw.late_until, '2026-11-10T22:00:00.000Z');
  t.is(hw.late_until_local, '2026-11-10T17:00');
  t.is(hw.publish_at, w.clock.now().toISOString());
  t.is(hw.status, 'published');
  t.true(hw.assign_to_all);
  t.is(hw.assignee_ids, null);
  t.is(hw.created_by, w.teacher.id);
  t.deepEqual(hw.attachments, [{ name: 'Worksheet', url: 'https://example.org/w.pdf', content_type: 'application/pdf' }]);
  t.true(hw.instructions.includes('<script>'), 'the Markdown source is kept as written');
  t.true(hw.instructions_html.includes('<h1>Task</h1>'));
  for (const who of [w.teacher, w.sam, w.guardian, w.admin]) {
    const seen = await w.get(who, `/api/v1/homework/${hw.id}`);
    t.is(seen.status, 200);
    t.false(/<script/i.test(seen.body.instructions_html), 'a script never comes back as HTML');
    t.false(/onerror|javascript:/i.test(seen.body.instructions_html));
  }
  const edited = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${hw.id}`, { instructions: '*Page 5* instead', attachments: [], late_until: null });
  t.is(edited.status, 200);
  t.is(edited.body.instructions_html, '<p><em>Page 5</em> instead</p>');
  t.deepEqual(edited.body.attachments, []);
  t.is(edited.body.late_until, null);
  t.is(edited.body.due_at, hw.due_at, 'fields not sent stay as they were');
  // Points default to 100; null makes homework ungraded.
  t.is((await w.setHomework({ points: undefined })).points, 100);
  t.is((await w.setHomework({ points: null })).points, null);
  const audit = await inTables(w.school, (db) => db('audit_events').where({ action: 'homework.created', target_id: hw.id }).first());
  t.is(audit.actor_id, w.teacher.id);
});

test('drafts and scheduled homework stay invisible to students and guardians until published', async (t) => {
  const w = await homeworkWorld();
  const draft = await w.setHomework({ title: 'Draft', publish_at: undefined });
  const scheduled = await w.setHomework({ title: 'Scheduled', publish_at: '2026-11-03T08:00:00Z' });
  const published = await w.setHomework({ title: 'Published' });
  t.is(draft.status, 'draft');
  t.is(draft.publish_at, null);
  t.is(scheduled.status, 'scheduled');
  const list = `/api/v1/classes/${w.maths.id}/homework`;

  t.deepEqual(sorted(ids(await w.get(w.teacher, list))), sorted([draft.id, scheduled.id, published.id]));
  t.deepEqual(ids(await w.get(w.teacher, `${list}?status=draft`)), [draft.id]);
  t.deepEqual(ids(await w.get(w.teacher, `${list}?status=scheduled`)), [scheduled.id]);
  t.deepEqual(ids(await w.get(w.teacher, `${list}?status=published`)), [published.id]);
  t.is((await w.get(w.teacher, `${list}?status=soon`)).status, 422);
  for (const who of [w.sam, w.guardian]) {
    t.deepEqual(ids(await w.get(who, list)), [published.id]);
    t.deepEqual(ids(await w.get(who, `${list}?status=draft`)), []);
    t.is((await w.get(who, `/api/v1/homework/${draft.id}`)).status, 404);
    t.is((await w.get(who, `/api/v1/homework/${scheduled.id}`)).status, 404);
  }

  w.clock.set('2026-11-03T08:00:00Z');
  t.deepEqual(sorted(ids(await w.get(w.sam, list))), sorted([scheduled.id, published.id]), 'scheduled homework appears at its time');
  t.is((await w.get(w.guardian, `/api/v1/homework/${scheduled.id}`)).body.status, 'published');

  const posted = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.id}`, { publish_at: 'now' });
  t.is(posted.body.status, 'published');
  t.is((await w.get(w.sam, `/api/v1/homework/${draft.id}`)).status, 200);
  const unpublished = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${draft.id}`, { publish_at: null });
  t.is(unpublished.body.status, 'draft');
  t.is((await w.get(w.sam, `/api/v1/homework/${draft.id}`)).status, 404, 'unpublishing hides it again');
});

test('homework for chosen students is seen only by them and their guardians', async (t) => {
  const w = await homeworkWorld();
  const forAda = await w.setHomework({ assignee_ids: [w.ada.id] });
  const forSam = await w.setHomework({ assignee_ids: [w.sam.id] });
  t.false(forAda.assign_to_all);
  t.deepEqual(forAda.assignee_ids, [w.ada.id]);
  const list = `/api/v1/classes/${w.maths.id}/homework`;
  t.deepEqual(ids(await w.get(w.sam, list)), [forSam.id]);
  t.deepEqual(ids(await w.get(w.ada, list)), [forAda.id]);
  t.deepEqual(ids(await w.get(w.guardian, list)), [forSam.id], 'the guardian of Sam sees what Sam sees');
  t.is((await w.get(w.sam, `/api/v1/homework/${forAda.id}`)).status, 404);
  t.is((await w.get(w.guardian, `/api/v1/homework/${forAda.id}`)).status, 404);
  const adaView = await w.get(w.ada, `/api/v1/homework/${forAda.id}`);
  t.is(adaView.status, 200);
  t.is(adaView.body.assignee_ids, null, 'students do not see who else it was set for');
  t.deepEqual((await w.get(w.teacher, `/api/v1/homework/${forAda.id}`)).body.assignee_ids, [w.ada.id]);

  // Widening to the whole class shows it to Sam; a student removed from the class loses it.
  await w.request(w.teacher, 'PATCH', `/api/v1/homework/${forAda.id}`, { assignee_ids: null });
  t.is((await w.get(w.sam, `/api/v1/homework/${forAda.id}`)).status, 200);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/classes/${w.maths.id}/members/${w.sam.id}`)).status, 204);
  t.is((await w.get(w.sam, `/api/v1/homework/${forAda.id}`)).status, 404);
  t.is((await w.get(w.guardian, `/api/v1/homework/${forAda.id}`)).status, 404);

  const before = await inTables(w.school, (db) => db('homework').count<{ count: string }[]>('* as count'));
  const outsider = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, {
    title: 'X',
    due_at: '2026-11-09T17:00:00Z',
    assignee_ids: [w.ada.id, w.olly.id, w.teacher.id],
  });
  t.is(outsider.status, 422);
  t.deepEqual(
    outsider.body.errors.map((e: { field: string }) => e.field),
    ['assignee_ids.1', 'assignee_ids.2'],
  );
  const twice = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, {
    title: 'X',
    due_at: '2026-11-09T17:00:00Z',
    assignee_ids: [w.ada.id, w.ada.id],
  });
  t.is(twice.status, 422);
  t.is(twice.body.errors[0].field, 'assignee_ids');
  t.deepEqual(await inTables(w.school, (db) => db('homework').count<{ count: string }[]>('* as count')), before, 'nothing was created');
});

test('other teachers, other classes’ students and unlinked guardians find nothing; students and guardians change nothing', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  const path = `/api/v1/homework/${hw.id}`;
  for (const who of [w.otherTeacher, w.olly, w.otherGuardian]) {
    t.is((await w.get(who, path)).status, 404);
    t.is((await w.get(who, `/api/v1/classes/${w.maths.id}/homework`)).status, 404);
  }
  t.is((await w.request(w.otherTeacher, 'PATCH', path, { title: 'Mine now' })).status, 404);
  t.is((await w.request(w.otherTeacher, 'DELETE', path)).status, 404);
  t.is((await w.request(w.otherTeacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, { title: 'X', due_at: '2026-11-09T17:00:00Z' })).status, 404);
  for (const who of [w.sam, w.guardian]) {
    t.is((await w.request(who, 'PATCH', path, { title: 'Recess' })).status, 403);
    t.is((await w.request(who, 'DELETE', path)).status, 403);
    t.is((await w.request(who, 'POST', `/api/v1/classes/${w.maths.id}/homework`, { title: 'X', due_at: '2026-11-09T17:00:00Z' })).status, 403);
  }
  t.is((await w.get(w.teacher, path)).body.title, 'Fractions worksheet', 'nothing changed');
  const byAdmin = await w.request(w.admin, 'PATCH', path, { title: 'Fractions (edited)' });
  t.is(byAdmin.status, 200);
  t.is(byAdmin.body.title, 'Fractions (edited)');
  t.is((await w.setHomework({ title: 'Admin set' }, w.history.id, w.admin)).title, 'Admin set', 'admins set homework in any class');
});

test('bad input is a 422 with field errors and changes nothing', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ publish_at: '2026-11-04T09:00:00Z', late_until: '2026-11-10T17:00:00Z' });
  const create = (body: Record<string, unknown>) =>
    w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, { title: 'T', due_at: '2026-11-09T17:00:00Z', ...body });
  const fields = async (res: Promise<{ status: number; body: { errors?: { field: string }[] } }>) => {
    const r = await res;
    return [r.status, (r.body.errors ?? []).map((e) => e.field).join(',')];
  };
  t.deepEqual(await fields(create({ publish_at: '2026-11-10T09:00:00Z' })), [422, 'due_at']);
  t.deepEqual(await fields(create({ late_until: '2026-11-08T17:00:00Z' })), [422, 'late_until']);
  t.deepEqual(await fields(create({ colour: 'red' })), [422, '']);
  t.deepEqual(await fields(create({ title: '   ' })), [422, 'title']);
  t.deepEqual(await fields(create({ due_at: 'next friday' })), [422, 'due_at']);
  t.deepEqual(await fields(create({ points: 12.345 })), [422, 'points']);
  t.deepEqual(await fields(create({ points: 1001 })), [422, 'points']);
  t.deepEqual(await fields(create({ points: 0 })), [422, 'points']);
  t.deepEqual(await fields(create({ points: '10' })), [422, 'points']);
  t.deepEqual(await fields(create({ attachments: [{ name: 'x', url: 'javascript:alert(1)' }] })), [422, 'attachments.0.url']);
  t.deepEqual(await fields(create({ instructions: 'a'.repeat(100_001) })), [422, 'instructions']);
  t.is(await create({ points: 999.99 }).then((r) => r.status), 201, 'two decimal places are fine');
  const huge = await create({ instructions: 'a'.repeat(2 * 1024 * 1024) });
  t.is(huge.status, 413, 'a 2 MB body is refused before it is read, as a problem');
  t.regex(String(huge.headers['content-type']), /^application\/problem\+json/);

  const patch = (body: unknown) => w.request(w.teacher, 'PATCH', `/api/v1/homework/${hw.id}`, body);
  t.deepEqual(await fields(patch({ publish_at: '2026-11-09T18:00:00Z' })), [422, 'publish_at']);
  t.deepEqual(await fields(patch({ due_at: '2026-11-03T09:00:00Z' })), [422, 'due_at'], 'due before it is published');
  t.deepEqual(await fields(patch({ due_at: '2026-11-11T09:00:00Z' })), [422, 'due_at'], 'due after the late window closes');
  t.deepEqual(await fields(patch({ late_until: '2026-11-09T16:59:00Z' })), [422, 'late_until']);
  t.deepEqual(await fields(patch({})), [422, '']);
  const moved = await patch({ class_id: w.history.id });
  t.is(moved.status, 422, 'homework cannot move between classes');
  t.true(moved.body.errors.some((e: { message: string }) => e.message.includes('class_id')));
  t.deepEqual(await fields(patch({ assignee_ids: [] })), [422, 'assignee_ids']);
  const after = (await w.get(w.teacher, `/api/v1/homework/${hw.id}`)).body;
  t.deepEqual(after, hw, 'nothing changed');
  t.is((await w.get(w.teacher, `/api/v1/classes/${w.maths.id}/homework`)).body.data.length, 2);
});

test('an archived class keeps its homework readable and refuses changes', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework();
  t.true((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.maths.id}`, { archived: true })).body.archived);
  t.is((await w.get(w.sam, `/api/v1/homework/${hw.id}`)).status, 200);
  t.is((await w.get(w.teacher, `/api/v1/classes/${w.maths.id}/homework`)).body.data.length, 1);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.maths.id}/homework`, { title: 'X', due_at: '2026-11-09T17:00:00Z' })).status, 409);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${hw.id}`, { title: 'X' })).status, 409);
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/homework/${hw.id}`)).status, 409);
  t.is((await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My answers' })).status, 409);
  t.is((await w.request(w.teacher, 'PUT', `/api/v1/homework/${hw.id}/submissions/${w.sam.id}/grade`, { score: 5 })).status, 409);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/homework/${hw.id}/grades`, { grades: [{ student_id: w.sam.id, score: 5 }] })).status, 409);
  t.is((await w.get(w.teacher, `/api/v1/homework/${hw.id}`)).body.title, 'Fractions worksheet');
  t.is(
    await inTables(w.school, (db) =>
      db('submissions')
        .where({ homework_id: hw.id })
        .then((r) => r.length),
    ),
    0,
    'no work was handed in or graded',
  );
});

test('homework can be deleted until someone has work; then 409 suggests unpublishing', async (t) => {
  const w = await homeworkWorld();
  const unused = await w.setHomework({ assignee_ids: [w.ada.id] });
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/homework/${unused.id}`)).status, 204);
  t.is((await w.get(w.teacher, `/api/v1/homework/${unused.id}`)).status, 404);
  t.is(
    await inTables(w.school, (db) =>
      db('homework_assignees')
        .where({ homework_id: unused.id })
        .then((r) => r.length),
    ),
    0,
  );

  const used = await w.setHomework();
  t.is((await w.request(w.sam, 'PUT', `/api/v1/homework/${used.id}/submission`, { body: 'Done!' })).status, 200);
  const refused = await w.request(w.teacher, 'DELETE', `/api/v1/homework/${used.id}`);
  t.is(refused.status, 409);
  t.regex(refused.body.detail, /Unpublish/);
  t.is((await w.get(w.teacher, `/api/v1/homework/${used.id}`)).status, 200);
  // Points cannot drop below a score already given, nor become ungraded while scores exist.
  await w.request(w.teacher, 'PUT', `/api/v1/homework/${used.id}/submissions/${w.sam.id}/grade`, { score: 8 });
  const lower = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${used.id}`, { points: 5 });
  t.is(lower.status, 422);
  t.is(lower.body.errors[0].field, 'points');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${used.id}`, { points: null })).status, 422);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${used.id}`, { points: 8 })).body.points, 8);
  // Nor can Sam, who has work, be unassigned.
  const drop = await w.request(w.teacher, 'PATCH', `/api/v1/homework/${used.id}`, { assignee_ids: [w.ada.id] });
  t.is(drop.status, 422);
  t.is(drop.body.errors[0].field, 'assignee_ids');
});

test('lists are keyset-paginated by due date', async (t) => {
  const w = await homeworkWorld();
  const days = ['2026-11-12', '2026-11-05', '2026-11-20', '2026-11-05', '2026-11-08'];
  for (const [i, day] of days.entries()) await w.setHomework({ title: `HW ${i}`, due_at: `${day}T17:00:00Z` });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { data: { title: string; due_at: string }[]; next_cursor: string | null } } = await w.get(
      w.sam,
      `/api/v1/classes/${w.maths.id}/homework?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
    );
    t.true(page.body.data.length <= 2);
    seen.push(...page.body.data.map((h) => h.due_at.slice(0, 10)));
    cursor = page.body.next_cursor;
  } while (cursor);
  t.deepEqual(seen, [...days].sort());
  t.is((await w.get(w.sam, `/api/v1/classes/${w.maths.id}/homework?cursor=nope`)).status, 422);
});

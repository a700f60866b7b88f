// Class resources and topics through HTTP, role by role (docs/permissions.md, "Resources" rows).
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { classroom, idsOf } from '../helpers/classroom.ts';
import { testEnv } from '../helpers/env.ts';
import type { Person } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

// One app for the file; each test still gets its own school.
let app: ReturnType<typeof startApp> | undefined;
async function sharedAppClassroom() {
  app ??= startApp();
  return classroom(await app);
}

const link = (title: string, extra: Record<string, unknown> = {}) => ({
  kind: 'link',
  title,
  url: `https://example.org/${encodeURIComponent(title)}`,
  ...extra,
});
const file = (title: string, extra: Record<string, unknown> = {}) => ({
  kind: 'file',
  title,
  attachment: { name: `${title}.pdf`, url: `https://files.example.org/${encodeURIComponent(title)}.pdf`, content_type: 'application/pdf', size_bytes: 1234 },
  ...extra,
});

async function post(w: Awaited<ReturnType<typeof sharedAppClassroom>>, who: Person, body: unknown, classId = w.mine.id) {
  return w.request(who, 'POST', `/api/v1/classes/${classId}/resources`, body);
}

test('the class’s teachers and admins add and change resources; nobody else can', async (t) => {
  const w = await sharedAppClassroom();
  const byTeacher = await post(w, w.teacher, link('Khan Academy', { description: 'Watch **both** videos' }));
  t.is(byTeacher.status, 201);
  t.is(byTeacher.body.kind, 'link');
  t.is(byTeacher.body.url, 'https://example.org/Khan%20Academy');
  t.is(byTeacher.body.attachment, null);
  t.is(byTeacher.body.description_html, '<p>Watch <strong>both</strong> videos</p>');
  t.is(byTeacher.body.created_by, w.teacher.id);
  const byAdmin = await post(w, w.admin, file('Worksheet'));
  t.is(byAdmin.status, 201);
  t.deepEqual(byAdmin.body.attachment, {
    name: 'Worksheet.pdf',
    url: 'https://files.example.org/Worksheet.pdf',
    content_type: 'application/pdf',
    size_bytes: 1234,
  });
  t.is(byAdmin.body.url, null);
  t.is(byAdmin.body.position, 1, 'added at the end');

  t.is((await post(w, w.otherTeacher, link('Sneaky'))).status, 404, 'a class they do not teach looks absent');
  t.is((await post(w, w.student, link('Mine'))).status, 403);
  t.is((await post(w, w.guardian, link('Mine'))).status, 403);

  const id = byTeacher.body.id as string;
  const patched = await w.request(w.admin, 'PATCH', `/api/v1/resources/${id}`, { title: 'Khan Academy: fractions', description: null });
  t.is(patched.status, 200);
  t.is(patched.body.title, 'Khan Academy: fractions');
  t.is(patched.body.description_html, '');
  t.is((await w.request(w.otherTeacher, 'PATCH', `/api/v1/resources/${id}`, { title: 'x' })).status, 404);
  t.is((await w.request(w.student, 'PATCH', `/api/v1/resources/${id}`, { title: 'x' })).status, 403, 'visible but not changeable');
  t.is((await w.request(w.guardian, 'DELETE', `/api/v1/resources/${id}`)).status, 403);
  t.is((await w.request(w.otherStudent, 'DELETE', `/api/v1/resources/${id}`)).status, 403, 'students can delete nothing: refused before looking');
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/resources/${id}`)).status, 204);
  t.is((await w.get(w.teacher, `/api/v1/resources/${id}`)).status, 404);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/resources/${id}`)).status, 404);

  const { dbs } = testEnv();
  const actions = await withTenant(dbs.app, { id: w.school.tenant.id }, (db) =>
    db('audit_events').where({ target_id: id }).orderBy('occurred_at').pluck('action'),
  );
  t.deepEqual(actions, ['resource.created', 'resource.updated', 'resource.deleted']);
});

test('enrolled students and their linked guardians read a class’s resources; nobody else sees them', async (t) => {
  const w = await sharedAppClassroom();
  const a = (await post(w, w.teacher, link('A'))).body.id;
  const b = (await post(w, w.teacher, file('B'))).body.id;
  await post(w, w.otherTeacher, link('Other class'), w.theirs.id);
  for (const who of [w.admin, w.teacher, w.student, w.guardian]) {
    const list = await w.get(who, `/api/v1/classes/${w.mine.id}/resources`);
    t.is(list.status, 200, who.role);
    t.deepEqual(idsOf(list), [a, b], who.role);
    t.is((await w.get(who, `/api/v1/resources/${a}`)).status, 200, who.role);
  }
  for (const who of [w.otherTeacher, w.otherStudent, w.otherGuardian]) {
    t.is((await w.get(who, `/api/v1/classes/${w.mine.id}/resources`)).status, 404, who.role);
    t.is((await w.get(who, `/api/v1/classes/${w.mine.id}/topics`)).status, 404, who.role);
    t.is((await w.get(who, `/api/v1/resources/${a}`)).status, 404, who.role);
  }
  // The unlinked guardian's own student's class is visible to them.
  t.is((await w.get(w.otherGuardian, `/api/v1/classes/${w.theirs.id}/resources`)).body.data.length, 1);
});

test('topics group resources in order: ungrouped first, then topic by topic', async (t) => {
  const w = await sharedAppClassroom();
  const topic = async (title: string) => (await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/topics`, { title })).body;
  const unit1 = await topic('Unit 1: Fractions');
  const unit2 = await topic('Unit 2: Decimals');
  t.is(unit1.position, 0);
  t.is(unit2.position, 1);
  t.is(unit2.resource_count, 0);
  const d1 = (await post(w, w.teacher, link('Decimals intro', { topic_id: unit2.id }))).body;
  const f1 = (await post(w, w.teacher, link('Fractions intro', { topic_id: unit1.id }))).body;
  const f2 = (await post(w, w.teacher, file('Fractions sheet', { topic_id: unit1.id }))).body;
  const loose = (await post(w, w.teacher, link('Calculator'))).body;
  t.is(f2.topic_id, unit1.id);
  t.is(f2.position, 1);

  const all = await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources`);
  t.deepEqual(idsOf(all), [loose.id, f1.id, f2.id, d1.id]);
  t.deepEqual(idsOf(await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources?topic_id=${unit1.id}`)), [f1.id, f2.id]);
  t.deepEqual(idsOf(await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources?topic_id=none`)), [loose.id]);
  const topics = await w.get(w.guardian, `/api/v1/classes/${w.mine.id}/topics`);
  t.deepEqual(
    topics.body.data.map((x: { title: string; resource_count: number }) => [x.title, x.resource_count]),
    [
      ['Unit 1: Fractions', 2],
      ['Unit 2: Decimals', 1],
    ],
  );

  // Reordering the topics reorders the whole list.
  t.is((await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.mine.id}/topic-order`, { topic_ids: [unit2.id, unit1.id] })).status, 204);
  t.deepEqual(idsOf(await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources`)), [loose.id, d1.id, f1.id, f2.id]);

  // Moving a resource puts it at the end of its new topic.
  const moved = await w.request(w.teacher, 'PATCH', `/api/v1/resources/${loose.id}`, { topic_id: unit1.id });
  t.is(moved.body.topic_id, unit1.id);
  t.deepEqual(idsOf(await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources?topic_id=${unit1.id}`)), [f1.id, f2.id, loose.id]);

  // Deleting a topic keeps its resources, ungrouped, in their order.
  const renamed = await w.request(w.teacher, 'PATCH', `/api/v1/resource-topics/${unit1.id}`, { title: 'Fractions' });
  t.is(renamed.body.title, 'Fractions');
  t.is(renamed.body.resource_count, 3);
  t.is((await w.request(w.student, 'DELETE', `/api/v1/resource-topics/${unit1.id}`)).status, 403);
  t.is((await w.request(w.otherTeacher, 'DELETE', `/api/v1/resource-topics/${unit1.id}`)).status, 404);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/resource-topics/${unit1.id}`)).status, 204);
  const after = await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources`);
  t.deepEqual(idsOf(after), [f1.id, f2.id, loose.id, d1.id]);
  t.true(after.body.data.slice(0, 3).every((r: { topic_id: string | null }) => r.topic_id === null));
  t.deepEqual(idsOf(await w.get(w.teacher, `/api/v1/classes/${w.mine.id}/topics`)), [unit2.id]);
});

test('a topic of another class is a field error, not a silent move', async (t) => {
  const w = await sharedAppClassroom();
  const foreign = (await w.request(w.admin, 'POST', `/api/v1/classes/${w.theirs.id}/topics`, { title: 'History unit' })).body;
  const created = await post(w, w.admin, link('Wrong place', { topic_id: foreign.id }));
  t.is(created.status, 422);
  t.is(created.body.errors[0].field, 'topic_id');
  const ok = (await post(w, w.admin, link('Right place'))).body;
  const moved = await w.request(w.admin, 'PATCH', `/api/v1/resources/${ok.id}`, { topic_id: foreign.id });
  t.is(moved.status, 422);
  t.is(moved.body.errors[0].field, 'topic_id');
  const filtered = await w.get(w.admin, `/api/v1/classes/${w.mine.id}/resources?topic_id=${foreign.id}`);
  t.is(filtered.status, 422);
  t.is(filtered.body.errors[0].in, 'query');
  t.is((await w.get(w.admin, `/api/v1/classes/${w.mine.id}/resources?topic_id=unit-1`)).status, 422);
  t.is((await w.get(w.admin, `/api/v1/resources/${ok.id}`)).body.topic_id, null, 'nothing changed');
});

test('a reorder must list every resource of the topic exactly once', async (t) => {
  const w = await sharedAppClassroom();
  const unit = (await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/topics`, { title: 'Unit' })).body;
  const inUnit: string[] = [];
  for (const title of ['One', 'Two', 'Three']) inUnit.push((await post(w, w.teacher, link(title, { topic_id: unit.id }))).body.id);
  const [r1, r2, r3] = inUnit as [string, string, string];
  const loose = (await post(w, w.teacher, link('Loose'))).body.id;
  const order = (body: unknown, who: Person = w.teacher) => w.request(who, 'PUT', `/api/v1/classes/${w.mine.id}/resource-order`, body);

  for (const [body, why] of [
    [{ topic_id: unit.id, resource_ids: [r3, r1] }, 'one missing'],
    [{ topic_id: unit.id, resource_ids: [r3, r1, r2, loose] }, 'one from another group'],
    [{ topic_id: unit.id, resource_ids: [r3, r1, r2, r2] }, 'a duplicate'],
    [{ topic_id: null, resource_ids: [r1, loose] }, 'ungrouped list with a topic’s resource'],
    [{ topic_id: unit.id, resource_ids: [r3, r1, '00000000-0000-4000-8000-000000000000'] }, 'an unknown id'],
  ] as const) {
    const res = await order(body);
    t.is(res.status, 422, why);
    t.is(res.body.errors[0].field, 'resource_ids', why);
  }
  t.deepEqual(idsOf(await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources?topic_id=${unit.id}`)), [r1, r2, r3], 'refused reorders change nothing');
  t.is((await order({ topic_id: unit.id, resource_ids: [r2, r3, r1] }, w.student)).status, 403);
  t.is((await order({ topic_id: unit.id, resource_ids: [r2, r3, r1] }, w.otherTeacher)).status, 404);
  t.is((await order({ topic_id: unit.id, resource_ids: [r3, r1, r2] })).status, 204);
  const listed = await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources?topic_id=${unit.id}`);
  t.deepEqual(idsOf(listed), [r3, r1, r2]);
  t.deepEqual(
    listed.body.data.map((r: { position: number }) => r.position),
    [0, 1, 2],
  );
  t.is((await order({ topic_id: null, resource_ids: [loose] })).status, 204);
  const topics = await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.mine.id}/topic-order`, { topic_ids: [] });
  t.is(topics.status, 422);
  t.is(topics.body.errors[0].field, 'topic_ids');
});

test('an archived class’s resources stay readable and cannot change', async (t) => {
  const w = await sharedAppClassroom();
  const unit = (await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/topics`, { title: 'Unit' })).body;
  const res = (await post(w, w.teacher, link('Keep me', { topic_id: unit.id }))).body;
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: true })).status, 200);
  t.is((await w.get(w.student, `/api/v1/classes/${w.mine.id}/resources`)).body.data.length, 1);
  t.is((await w.get(w.guardian, `/api/v1/resources/${res.id}`)).status, 200);
  for (const [method, path, body] of [
    ['POST', `/api/v1/classes/${w.mine.id}/resources`, link('New')],
    ['POST', `/api/v1/classes/${w.mine.id}/topics`, { title: 'New' }],
    ['PATCH', `/api/v1/resources/${res.id}`, { title: 'Changed' }],
    ['DELETE', `/api/v1/resources/${res.id}`, undefined],
    ['PATCH', `/api/v1/resource-topics/${unit.id}`, { title: 'Changed' }],
    ['DELETE', `/api/v1/resource-topics/${unit.id}`, undefined],
    ['PUT', `/api/v1/classes/${w.mine.id}/resource-order`, { topic_id: unit.id, resource_ids: [res.id] }],
    ['PUT', `/api/v1/classes/${w.mine.id}/topic-order`, { topic_ids: [unit.id] }],
  ] as const) {
    t.is((await w.request(w.admin, method, path, body)).status, 409, `${method} ${path}`);
  }
  t.is((await w.get(w.teacher, `/api/v1/resources/${res.id}`)).body.title, 'Keep me');
  await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.mine.id}`, { archived: false });
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/resources/${res.id}`, { title: 'Changed' })).status, 200);
});

test('bad input is a 422 with field errors and changes nothing', async (t) => {
  const w = await sharedAppClassroom();
  const refused = async (body: unknown, field: string) => {
    const res = await post(w, w.teacher, body);
    t.is(res.status, 422, JSON.stringify(body).slice(0, 80));
    t.true(
      res.body.errors.some((e: { field: string }) => e.field === field),
      `${field} in ${JSON.stringify(res.body.errors)}`,
    );
  };
  await refused(link('Bad', { url: 'javascript:alert(1)' }), 'url');
  await refused(link('Bad', { url: 'ftp://example.org/file' }), 'url');
  await refused(link('Bad', { url: 'not a url' }), 'url');
  await refused(file('Bad', { attachment: { name: 'x.pdf', url: 'javascript:alert(1)' } }), 'attachment.url');
  await refused({ title: 'No kind', url: 'https://example.org' }, 'kind');
  await refused({ kind: 'video', title: 'x', url: 'https://example.org' }, 'kind');
  await refused(link(''), 'title');
  await refused(link('Both', { attachment: { name: 'x', url: 'https://example.org/x' } }), '');
  await refused(link('Long', { description: 'x'.repeat(100_001) }), 'description');
  t.deepEqual((await w.get(w.teacher, `/api/v1/classes/${w.mine.id}/resources`)).body.data, []);

  const made = (await post(w, w.teacher, file('Sheet'))).body;
  const wrongField = await w.request(w.teacher, 'PATCH', `/api/v1/resources/${made.id}`, { url: 'https://example.org/other' });
  t.is(wrongField.status, 422);
  t.is(wrongField.body.errors[0].field, 'url');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/resources/${made.id}`, {})).status, 422);
  const replaced = await w.request(w.teacher, 'PATCH', `/api/v1/resources/${made.id}`, {
    attachment: { name: 'v2.pdf', url: 'https://files.example.org/v2.pdf' },
  });
  t.deepEqual(replaced.body.attachment, { name: 'v2.pdf', url: 'https://files.example.org/v2.pdf' });
});

test('2 MB of Markdown is refused: 413 at the default body limit, 422 when the body is let through', async (t) => {
  const w = await sharedAppClassroom();
  const huge = link('Huge', { description: 'a'.repeat(2 * 1024 * 1024) });
  t.is((await post(w, w.teacher, huge)).status, 413);
  const roomy = await startApp({ bodyLimit: '5mb' });
  const res = await roomy.request(w.school.slug, 'POST', `/api/v1/classes/${w.mine.id}/resources`, { token: w.teacher.token, body: huge });
  t.is(res.status, 422);
  t.is(res.body.errors[0].field, 'description');
});

test('descriptions are rendered and sanitised', async (t) => {
  const w = await sharedAppClassroom();
  const res = await post(
    w,
    w.teacher,
    link('XSS', { description: 'Read <script>alert(1)</script> [this](javascript:alert(1)) <img src=x onerror=alert(1)> [ok](https://example.org)' }),
  );
  t.is(res.status, 201);
  const html = res.body.description_html as string;
  t.false(/<script/i.test(html));
  t.false(/onerror/i.test(html));
  t.false(/javascript:/i.test(html));
  t.true(html.includes('href="https://example.org"'));
  t.true(res.body.description.includes('<script>'), 'the source is kept as written');
});

test('resource and topic lists page with a cursor in their order', async (t) => {
  const w = await sharedAppClassroom();
  const unit = (await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/topics`, { title: 'Unit' })).body;
  const expected: string[] = [];
  for (const title of ['a', 'b', 'c']) expected.push((await post(w, w.teacher, link(title))).body.id);
  for (const title of ['d', 'e']) expected.push((await post(w, w.teacher, link(title, { topic_id: unit.id }))).body.id);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await w.get(
      w.student,
      `/api/v1/classes/${w.mine.id}/resources?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
    );
    t.true(page.body.data.length <= 2);
    seen.push(...idsOf(page));
    cursor = page.body.next_cursor;
  } while (cursor);
  t.deepEqual(seen, expected);
  for (const title of ['Unit 2', 'Unit 3']) await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/topics`, { title });
  const first = await w.get(w.student, `/api/v1/classes/${w.mine.id}/topics?limit=2`);
  const second = await w.get(w.student, `/api/v1/classes/${w.mine.id}/topics?limit=2&cursor=${first.body.next_cursor}`);
  t.deepEqual(
    [...first.body.data, ...second.body.data].map((x: { title: string }) => x.title),
    ['Unit', 'Unit 2', 'Unit 3'],
  );
  t.is(second.body.next_cursor, null);
});

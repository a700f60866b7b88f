// Search returns what the person may open, ranked and highlighted, and never another class's or
// school's content (RLS keeps schools apart; the CASL rule of each source keeps classes apart).
import test from 'ava';
import { inSchool, type Person, scene } from '../helpers/factories.ts';

async function searchWorld() {
  const w = await scene({
    people: { teacher: 'teacher', student: 'student', outsider: 'student', clubTeacher: 'teacher' },
    classes: {
      volcano: { name: 'Volcanoes and Earthquakes', teachers: ['teacher'], students: ['student'] },
      other: { name: 'Volcano Club', teachers: ['clubTeacher'], students: ['outsider'] },
    },
  });
  await inSchool(w.school, (scope) =>
    scope.db('classes').where({ id: w.volcano.id }).update({ description: 'We study how <b>volcanoes</b> erupt & why magma rises.' }),
  );
  const search = (who: Person, q: string, extra = '') => w.get(who, `/api/v1/search?q=${encodeURIComponent(q)}${extra}`);
  return { ...w, search };
}

test('a student finds only their own classes, ranked, with escaped and highlighted snippets', async (t) => {
  const w = await searchWorld();
  const res = await w.search(w.student, 'volcano');
  t.is(res.status, 200);
  t.deepEqual(
    res.body.data.map((h: { id: string }) => h.id),
    [w.volcano.id],
  );
  const [hit] = res.body.data;
  t.is(hit.kind, 'class');
  t.is(hit.title, 'Volcanoes and Earthquakes');
  t.true(hit.snippet_html.includes('<mark>volcanoes</mark>'), hit.snippet_html);
  t.false(hit.snippet_html.includes('<b>'), 'markup from the record never comes back as markup');
  t.true(hit.snippet_html.includes('erupt &#38; why'), 'text from the record is escaped');
  const admin = await w.search(w.admin, 'volcano');
  t.deepEqual(admin.body.data.map((h: { id: string }) => h.id).sort(), [w.volcano.id, w.other.id].sort());
  t.deepEqual((await w.search(w.outsider, 'earthquakes')).body.data, []);
});

test('another school’s matching content never appears', async (t) => {
  const w = await searchWorld();
  await scene({ app: w.app, people: {}, classes: { elsewhere: { name: 'Volcanoes everywhere' } } });
  const res = await w.search(w.admin, 'volcanoes');
  t.is(res.body.data.length, 2);
  t.true(res.body.data.every((h: { title: string }) => h.title !== 'Volcanoes everywhere'));
});

test('pages follow the ranking without repeats, and bad queries are refused with field errors', async (t) => {
  const w = await searchWorld();
  const first = await w.search(w.admin, 'volcano', '&limit=1');
  t.is(first.body.data.length, 1);
  t.truthy(first.body.next_cursor);
  const second = await w.search(w.admin, 'volcano', `&limit=1&cursor=${first.body.next_cursor}`);
  t.is(second.body.data.length, 1);
  t.not(second.body.data[0].id, first.body.data[0].id);
  t.is(second.body.next_cursor, null);
  const empty = await w.search(w.student, '');
  t.is(empty.status, 422);
  t.is(empty.body.errors[0].field, 'q');
  const badType = await w.search(w.student, 'x', '&types=files');
  t.is(badType.status, 422);
  t.is((await w.search(w.student, 'x', '&cursor=nonsense')).status, 422);
  t.is((await w.get(null, '/api/v1/search?q=volcano')).status, 401);
});

test('the school’s language decides stemming', async (t) => {
  const w = await searchWorld();
  await w.request(w.admin, 'PATCH', '/api/v1/school', { language: 'es' });
  const created = await w.request(w.teacher, 'POST', '/api/v1/classes', { name: 'Canciones populares' });
  t.is(created.status, 201);
  // Spanish stemming: "canción" and "canciones" share a stem; English would not match.
  const res = await w.search(w.teacher, 'canciones', '&types=class');
  t.deepEqual(
    res.body.data.map((h: { title: string }) => h.title),
    ['Canciones populares'],
  );
  const config = await inSchool(w.school, (scope) => scope.db('classes').where({ id: created.body.id }).first('search_config'));
  t.is(config?.search_config, 'spanish');
});

test('homework, resources and notices are found only by those who may open them', async (t) => {
  const w = await searchWorld();
  const post = (who: Person, path: string, body: unknown) => w.request(who, 'POST', path, body);
  const later = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const published = await post(w.teacher, `/api/v1/classes/${w.volcano.id}/homework`, {
    title: 'Volcano diagram',
    instructions: 'Label the magma chamber',
    due_at: later,
    publish_at: 'now',
  });
  t.is(published.status, 201, JSON.stringify(published.body));
  const draft = await post(w.teacher, `/api/v1/classes/${w.volcano.id}/homework`, { title: 'Volcano quiz answers', due_at: later });
  t.is(draft.status, 201);
  t.is(
    (await post(w.teacher, `/api/v1/classes/${w.volcano.id}/resources`, { kind: 'link', title: 'Magma video', url: 'https://example.org/magma' })).status,
    201,
  );
  t.is((await post(w.teacher, `/api/v1/classes/${w.volcano.id}/notices`, { title: 'Magma trip', body: 'Museum visit', publish_at: later })).status, 201);
  t.is(
    (await post(w.admin, `/api/v1/classes/${w.other.id}/resources`, { kind: 'link', title: 'Magma club notes', url: 'https://example.org/club' })).status,
    201,
  );

  const kindsAndTitles = (res: { body: { data: { kind: string; title: string }[] } }) => res.body.data.map((h) => `${h.kind}:${h.title}`).sort();
  // The class itself matches too: its description mentions magma.
  const mine = ['class:Volcanoes and Earthquakes', 'homework:Volcano diagram', 'resource:Magma video'];
  t.deepEqual(kindsAndTitles(await w.search(w.student, 'magma')), mine, 'no draft, no scheduled notice, no other class');
  t.deepEqual(kindsAndTitles(await w.search(w.teacher, 'magma')), [...mine, 'notice:Magma trip'].sort());
  t.deepEqual(kindsAndTitles(await w.search(w.outsider, 'magma')), ['resource:Magma club notes']);
  t.deepEqual(kindsAndTitles(await w.search(w.student, 'magma', '&types=resource')), ['resource:Magma video']);
  t.deepEqual(kindsAndTitles(await w.search(w.admin, 'magma', `&class_id=${w.other.id}`)), ['resource:Magma club notes']);
});

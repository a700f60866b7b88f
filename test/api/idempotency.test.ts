// Idempotency-Key: a retried creating request replays its first answer and changes nothing again.

import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createPerson, createSchool, inSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

async function world() {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const other = await createPerson(school, 'teacher');
  const classCount = () => inSchool(school, async (scope) => Number((await scope.db('classes').count({ n: '*' }).first())?.n));
  const create = (token: string, key: string | undefined, name = 'Year 7 Science') =>
    app.request(school.slug, 'POST', '/api/v1/classes', { token, body: { name }, headers: key ? { 'idempotency-key': key } : {} });
  return { app, school, teacher, other, classCount, create };
}

test('the same key twice makes one class and replays the first answer', async (t) => {
  const w = await world();
  const before = await w.classCount();
  const key = randomUUID();
  const first = await w.create(w.teacher.token, key);
  t.is(first.status, 201);
  const again = await w.create(w.teacher.token, key);
  t.is(again.status, 201);
  t.deepEqual(again.body, first.body);
  t.is(again.headers['idempotent-replayed'], 'true');
  t.is(first.headers['idempotent-replayed'], undefined);
  t.is(await w.classCount(), before + 1);
});

test('without a key, or with a new key, each request counts', async (t) => {
  const w = await world();
  const before = await w.classCount();
  await w.create(w.teacher.token, undefined);
  await w.create(w.teacher.token, undefined);
  await w.create(w.teacher.token, randomUUID());
  t.is(await w.classCount(), before + 3);
});

test('the same key with a different request is refused and changes nothing', async (t) => {
  const w = await world();
  const key = randomUUID();
  await w.create(w.teacher.token, key, 'History');
  const before = await w.classCount();
  const other = await w.create(w.teacher.token, key, 'Geography');
  t.is(other.status, 422);
  t.is(other.body.errors[0].field, 'Idempotency-Key');
  t.is(await w.classCount(), before);
});

test('keys belong to one person: another person’s same key is their own request', async (t) => {
  const w = await world();
  const key = randomUUID();
  const mine = await w.create(w.teacher.token, key);
  const theirs = await w.create(w.other.token, key);
  t.is(theirs.status, 201);
  t.not(theirs.body.id, mine.body.id);
  t.is(theirs.headers['idempotent-replayed'], undefined);
});

test('a refused request keeps nothing: its retry with the same key runs afresh', async (t) => {
  const w = await world();
  const key = randomUUID();
  const bad = await w.app.request(w.school.slug, 'POST', '/api/v1/classes', {
    token: w.teacher.token,
    body: { name: '' },
    headers: { 'idempotency-key': key },
  });
  t.is(bad.status, 422);
  // Another body with the same key is not "a different request" for a key that holds nothing.
  const good = await w.create(w.teacher.token, key);
  t.is(good.status, 201);
});

test('two copies sent at once make one class; both get the same answer', async (t) => {
  const w = await world();
  const before = await w.classCount();
  const key = randomUUID();
  const [a, b] = await Promise.all([w.create(w.teacher.token, key), w.create(w.teacher.token, key)]);
  t.is(a.status, 201);
  t.is(b.status, 201);
  t.is(a.body.id, b.body.id);
  t.is(await w.classCount(), before + 1);
});

test('a malformed key is a 422 naming the header', async (t) => {
  const w = await world();
  const res = await w.create(w.teacher.token, 'short');
  t.is(res.status, 422);
  t.is(res.body.errors[0].in, 'headers');
});

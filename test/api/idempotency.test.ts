// Idempotency-Key: a retried creating request replays its first answer and changes nothing again.

import { randomUUID } from 'node:crypto';
import test from 'ava';
import { inSchool, type Person, scene } from '../helpers/factories.ts';

async function twoTeachers() {
  const w = await scene({ people: { teacher: 'teacher', other: 'teacher' } });
  const classCount = () => inSchool(w.school, async (scope) => Number((await scope.db('classes').count({ n: '*' }).first())?.n));
  const create = (who: Person, key: string | undefined, name = 'Year 7 Science') =>
    w.request(who, 'POST', '/api/v1/classes', { name }, key ? { 'idempotency-key': key } : {});
  return { ...w, classCount, create };
}

test('the same key twice makes one class and replays the first answer', async (t) => {
  const w = await twoTeachers();
  const before = await w.classCount();
  const key = randomUUID();
  const first = await w.create(w.teacher, key);
  t.is(first.status, 201);
  const again = await w.create(w.teacher, key);
  t.is(again.status, 201);
  t.deepEqual(again.body, first.body);
  t.is(again.headers['idempotent-replayed'], 'true');
  t.is(first.headers['idempotent-replayed'], undefined);
  t.is(await w.classCount(), before + 1);
});

test('without a key, or with a new key, each request counts', async (t) => {
  const w = await twoTeachers();
  const before = await w.classCount();
  await w.create(w.teacher, undefined);
  await w.create(w.teacher, undefined);
  await w.create(w.teacher, randomUUID());
  t.is(await w.classCount(), before + 3);
});

test('the same key with a different request is refused and changes nothing', async (t) => {
  const w = await twoTeachers();
  const key = randomUUID();
  await w.create(w.teacher, key, 'History');
  const before = await w.classCount();
  const other = await w.create(w.teacher, key, 'Geography');
  t.is(other.status, 422);
  t.is(other.body.errors[0].field, 'Idempotency-Key');
  t.is(await w.classCount(), before);
});

test('keys belong to one person: another person’s same key is their own request', async (t) => {
  const w = await twoTeachers();
  const key = randomUUID();
  const mine = await w.create(w.teacher, key);
  const theirs = await w.create(w.other, key);
  t.is(theirs.status, 201);
  t.not(theirs.body.id, mine.body.id);
  t.is(theirs.headers['idempotent-replayed'], undefined);
});

test('a refused request keeps nothing: its retry with the same key runs afresh', async (t) => {
  const w = await twoTeachers();
  const key = randomUUID();
  const bad = await w.request(w.teacher, 'POST', '/api/v1/classes', { name: '' }, { 'idempotency-key': key });
  t.is(bad.status, 422);
  // Another body with the same key is not "a different request" for a key that holds nothing.
  const good = await w.create(w.teacher, key);
  t.is(good.status, 201);
});

test('two copies sent at once make one class; both get the same answer', async (t) => {
  const w = await twoTeachers();
  const before = await w.classCount();
  const key = randomUUID();
  const [a, b] = await Promise.all([w.create(w.teacher, key), w.create(w.teacher, key)]);
  t.is(a.status, 201);
  t.is(b.status, 201);
  t.is(a.body.id, b.body.id);
  t.is(await w.classCount(), before + 1);
});

test('a malformed key is a 422 naming the header', async (t) => {
  const w = await twoTeachers();
  const res = await w.create(w.teacher, 'short');
  t.is(res.status, 422);
  t.is(res.body.errors[0].in, 'headers');
});

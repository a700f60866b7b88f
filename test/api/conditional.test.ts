// Conditional GETs: a JSON answer carries a weak ETag of its bytes; sending it back answers 304
// with no body until the answer changes (what polling pages save). Secrets stay no-store.
import test from 'ava';
import { scene } from '../helpers/factories.ts';

test('a GET answers with an ETag; sent back, 304 until the answer changes', async (t) => {
  const w = await scene({ people: { teacher: 'teacher' }, classes: { klass: { name: 'Maths', teachers: ['teacher'] } } });
  const get = (headers: Record<string, string> = {}) => w.get(w.teacher, `/api/v1/classes/${w.klass.id}`, headers);

  const first = await get();
  t.is(first.status, 200);
  const etag = String(first.headers.etag);
  t.regex(etag, /^W\/"[\w-]{27}"$/);
  t.is(first.headers['cache-control'], 'private, no-cache');
  t.regex(String(first.headers['content-type']), /^application\/json/);
  t.is(first.body.name, 'Maths');

  const again = await get({ 'if-none-match': etag });
  t.is(again.status, 304);
  t.is(again.text, '');
  t.is(again.headers.etag, etag);
  t.is((await get({ 'if-none-match': `W/"other", ${etag}` })).status, 304, 'any of several tags');

  const patched = await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.klass.id}`, { description: 'Fractions' });
  t.is(patched.status, 200);
  t.is(patched.headers.etag, undefined, 'a write has no ETag');
  const changed = await get({ 'if-none-match': etag });
  t.is(changed.status, 200);
  t.is(changed.body.description, 'Fractions');
  t.not(changed.headers.etag, etag);
});

test('the unread count a page polls is 304 while nothing new arrives; an answer marked no-store keeps it', async (t) => {
  const { app, student, get } = await scene({ people: { student: 'student' } });
  const path = '/api/v1/me/notifications?unread=true&limit=1';
  const first = await get(student, path);
  t.is(first.status, 200);
  const again = await get(student, path, { 'if-none-match': String(first.headers.etag) });
  t.is(again.status, 304);

  const health = await app.request(null, 'GET', '/healthz');
  t.is(health.status, 200);
  t.is(health.headers['cache-control'], 'no-store');
  t.is(health.headers.etag, undefined);
});

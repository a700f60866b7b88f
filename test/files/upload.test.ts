// Uploads through the real app (local storage, no scanner): the type comes from the bytes and
// must agree with the name, text is checked as a whole, names are cleaned, keys are random and
// prefixed with the school, and an upload over the limit is cut off with nothing stored.
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test from 'ava';
import { sanitiseName } from '../../api/files/types.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, inSchool, scene } from '../helpers/factories.ts';
import { PDF, PNG, raw, streamUpload, upload } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';

async function studentUploads(limits: { maxUploadBytes?: number } = {}) {
  const { config } = testEnv();
  const w = await scene({ app: startApp({ files: { ...config.files, ...limits } }), people: { student: 'student' } });
  const up = (name: string, content: Buffer | string, purpose?: string) => upload(w.app, w.school.slug, w.student.token, { name, content, purpose });
  return { ...w, up };
}

const rows = (school: { tenant: { id: string } }) =>
  withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('files').select('id', 'name', 'status', 'storage_key', 'content_type', 'size_bytes'));

test('a PDF is stored with its type from the bytes, under a random key prefixed with the school, and downloads back', async (t) => {
  const w = await studentUploads();
  const res = await w.up('Worksheet 3.pdf', PDF);
  t.is(res.status, 201, res.text);
  t.like(res.body, {
    name: 'Worksheet 3.pdf',
    content_type: 'application/pdf',
    size_bytes: PDF.length,
    status: 'unscanned',
    purpose: 'documents',
    attached: false,
  });
  const [row] = await rows(w.school);
  t.regex(row.storage_key, new RegExp(`^${w.school.tenant.id}/[A-Za-z0-9_-]{24}$`));
  const back = await raw(w.app, w.school.slug, 'GET', `/api/v1/files/${res.body.id}`, { token: w.student.token });
  t.is(back.status, 200);
  t.true(Buffer.from(back.body).equals(PDF));
  t.is(back.headers['content-type'], 'application/pdf');
  t.is(back.headers['x-content-type-options'], 'nosniff');
  t.regex(String(back.headers['content-disposition']), /^inline; filename="Worksheet 3.pdf"/);
  const again = await raw(w.app, w.school.slug, 'GET', `/api/v1/files/${res.body.id}`, {
    token: w.student.token,
    headers: { 'if-none-match': String(back.headers.etag) },
  });
  t.is(again.status, 304);
});

test('audio and video answer byte ranges (206, 416); other types always send the whole file', async (t) => {
  const w = await studentUploads();
  // RIFF....WAVE: file-type reads it as audio/wav.
  const wav = Buffer.alloc(1000, 7);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(992, 4);
  wav.write('WAVEfmt ', 8);
  const res = await w.up('clip.wav', wav, 'media');
  t.is(res.status, 201, res.text);
  const get = (range: string) => raw(w.app, w.school.slug, 'GET', `/api/v1/files/${res.body.id}`, { token: w.student.token, headers: { range } });
  const part = await get('bytes=8-11');
  t.is(part.status, 206);
  t.is(part.headers['content-range'], 'bytes 8-11/1000');
  t.is(Buffer.from(part.body).toString(), 'WAVE');
  t.is((await get('bytes=-10')).headers['content-range'], 'bytes 990-999/1000');
  t.is((await get('bytes=5000-')).status, 416);
  const pdf = await w.up('a.pdf', PDF);
  const whole = await raw(w.app, w.school.slug, 'GET', `/api/v1/files/${pdf.body.id}`, { token: w.student.token, headers: { range: 'bytes=0-3' } });
  t.is(whole.status, 200);
  t.is(Buffer.from(whole.body).length, PDF.length);
});

test('the extension must agree with the bytes: a PDF renamed .exe and an HTML page renamed .pdf are refused', async (t) => {
  const w = await studentUploads();
  const exe = await w.up('invoice.exe', PDF);
  t.is(exe.status, 415);
  t.regex(exe.body.detail, /PDF.*\.exe/);
  const html = await w.up('report.pdf', '<!doctype html><html><body><script>alert(1)</script></body></html>');
  t.is(html.status, 415);
  const svg = await w.up('logo.png', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'images');
  t.is(svg.status, 415);
  const wrongPurpose = await w.up('scan.pdf', PDF, 'images');
  t.is(wrongPurpose.status, 415);
  const png = await w.up('photo.jpg', PNG, 'images');
  t.is(png.status, 415, 'a PNG named .jpg');
  t.is((await w.up('photo.png', PNG, 'images')).status, 201);
  t.is((await rows(w.school)).length, 1);
});

test('plain text is accepted only as valid UTF-8 without NULs, with a text extension, and is never served inline', async (t) => {
  const w = await studentUploads();
  const notes = await w.up('notes.md', '# Notes\n\nÉtude – naïve café ✓\n');
  t.is(notes.status, 201, notes.text);
  t.is(notes.body.content_type, 'text/markdown');
  const back = await raw(w.app, w.school.slug, 'GET', `/api/v1/files/${notes.body.id}`, { token: w.student.token });
  t.is(back.headers['content-type'], 'text/markdown; charset=utf-8');
  t.regex(String(back.headers['content-disposition']), /^attachment;/);
  t.is((await w.up('data.csv', 'a,b\n1,2\n')).status, 201);
  t.is((await w.up('binary.txt', Buffer.from([0x68, 0x69, 0x00, 0x01]))).status, 415);
  t.is((await w.up('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]))).status, 415);
  // A NUL far after the first bytes the type is decided from: the whole file is checked.
  const late = Buffer.concat([Buffer.alloc(200_000, 0x61), Buffer.from([0])]);
  t.is((await w.up('long.txt', late)).status, 415);
  t.is((await w.up('page.html', '<html></html>')).status, 415);
  t.is((await w.up('script', 'echo hi')).status, 415);
  t.is((await rows(w.school)).length, 2, 'refused text left no row');
});

test('display names lose path parts, control and bidirectional characters', async (t) => {
  const w = await studentUploads();
  const res = await w.up('..\\..\\etc/Évaluation \u202Efdp.exe.pdf', PDF);
  t.is(res.status, 201, res.text);
  t.is(res.body.name, 'Évaluation fdp.exe.pdf');
  t.is(sanitiseName('a\u0000b\u0007c\r\n\u200Fd\u2066.pdf'), 'abcd.pdf');
  t.is(sanitiseName('/'), 'file');
  t.is(sanitiseName('...hidden.pdf'), 'hidden.pdf');
  t.is(sanitiseName(`${'x'.repeat(300)}.pdf`).length, 200);
  t.regex(sanitiseName(`${'x'.repeat(300)}.pdf`), /\.pdf$/);
});

test('an upload over the school’s limit is cut off early: 413, the server stops reading, nothing is stored', async (t) => {
  const limit = 1024 * 1024;
  const w = await studentUploads({ maxUploadBytes: limit });
  const total = 64 * 1024 * 1024;
  const { res, written } = await streamUpload(w.app, w.school.slug, w.student.token, { name: 'big.pdf', head: PDF, total, purpose: 'documents' });
  t.is(res.status, 413);
  t.is(res.body.max_bytes, limit);
  t.true(written < total / 2, `the server read ${written} of ${total} bytes`);
  t.deepEqual(await rows(w.school), []);
  const dir = path.join(w.app.deps.config.files.dir, w.school.tenant.id);
  t.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], 'no bytes (not even a partial file) are left');
  // An announced Content-Length over the limit is refused before anything is read.
  const announced = await raw(w.app, w.school.slug, 'POST', '/api/v1/files?purpose=documents', {
    token: w.student.token,
    body: Buffer.alloc(limit + 128 * 1024),
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  t.is(announced.status, 413);
});

test('a refused upload is answered before the connection closes: the server drops a little more of the body, then closes', async (t) => {
  // Closing at once with unread bytes resets the connection, and a reset can cost the client
  // the answer it has not read yet. A body that ends within the lingering allowance is read and
  // dropped, so the same connection then serves the next request.
  const limit = 1024 * 1024;
  const w = await studentUploads({ maxUploadBytes: limit });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const refused = await raw(w.app, w.school.slug, 'POST', '/api/v1/files?purpose=documents', {
    token: w.student.token,
    agent,
    body: Buffer.alloc(limit + 128 * 1024),
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  t.is(refused.status, 413);
  let reused: boolean | undefined;
  const next = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: w.app.port,
        path: '/api/v1/me',
        headers: { host: `${w.school.slug}.${w.app.deps.config.baseDomain}:${w.app.port}`, authorization: `Bearer ${w.student.token}` },
      },
      (res) => {
        reused = req.reusedSocket;
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  t.is(next, 200);
  t.true(reused, 'the connection of the refused upload was kept and reused');
});

test('uploads need a purpose, one file part, a signed-in uploader; guardians upload nothing', async (t) => {
  const w = await studentUploads();
  t.is((await w.up('a.pdf', PDF, '')).status, 422);
  t.is((await w.up('a.pdf', PDF, 'spreadsheets')).status, 422);
  const notMultipart = await raw(w.app, w.school.slug, 'POST', '/api/v1/files?purpose=documents', {
    token: w.student.token,
    body: Buffer.from('{}'),
    headers: { 'content-type': 'application/json' },
  });
  t.is(notMultipart.status, 415);
  const guardian = await createPerson(w.school, 'guardian');
  t.is((await upload(w.app, w.school.slug, guardian.token, { name: 'a.pdf', content: PDF })).status, 403);
  const anonymous = await raw(w.app, w.school.slug, 'POST', '/api/v1/files?purpose=documents', {
    body: PDF,
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  t.is(anonymous.status, 401);
  t.deepEqual(await inSchool(w.school, (scope) => scope.db('files').count({ n: '*' }).first()), { n: '0' });
});

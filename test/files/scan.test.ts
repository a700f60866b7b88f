// Scanning against a real clamd (Debian's clamav-daemon, started here with a database that knows
// only EICAR): clean files pass, EICAR is refused and nothing of it is kept; with the scanner down
// files wait as pending, or are refused when CLAMAV_WHEN_DOWN=refuse; the breaker opens.
import net from 'node:net';
import { Readable } from 'node:stream';
import test from 'ava';
import { createScanner } from '../../api/files/scanner.ts';
import { fileServices, scanPendingFiles } from '../../api/files/service.ts';
import { testEnv } from '../helpers/env.ts';
import { inSchool, scene } from '../helpers/factories.ts';
import { EICAR, PDF, startClamd, upload } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';

const clamd = startClamd();

/** A port nobody listens on. */
async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function teacherUploads(clamav: { url: string; whenDown: 'wait' | 'refuse' }) {
  const { config } = testEnv();
  const w = await scene({ app: startApp({ files: { ...config.files, clamav: { ...clamav, timeoutMs: 20_000 } } }), people: { teacher: 'teacher' } });
  return { ...w, up: (name: string, content: Buffer | string) => upload(w.app, w.school.slug, w.teacher.token, { name, content }) };
}

test('the real clamd passes a clean file and refuses EICAR; nothing of EICAR is kept', async (t) => {
  const { url } = await clamd;
  const w = await teacherUploads({ url, whenDown: 'wait' });
  const clean = await w.up('worksheet.pdf', PDF);
  t.is(clean.status, 201, clean.text);
  t.is(clean.body.status, 'clean');

  const infected = await w.up('eicar.txt', EICAR);
  t.is(infected.status, 422, infected.text);
  t.is(infected.body.type, 'https://edify.app/problems/file-infected');
  const row = await inSchool(w.school, (scope) => scope.db('files').where({ id: infected.body.file_id }).first());
  t.like(row, { status: 'rejected', scan_result: 'Edify-Test-EICAR.UNOFFICIAL', size_bytes: '0' });
  t.false(await fileServices(w.app.deps.config.files).storage.exists(row.storage_key));
  const audited = await inSchool(w.school, (scope) => scope.db('audit_events').where({ action: 'file.rejected' }).first());
  t.is(audited?.target_id, infected.body.file_id);
  // Nobody downloads a rejected file, not even its uploader.
  t.is((await w.get(w.teacher, `/api/v1/files/${infected.body.file_id}`)).status, 404);
});

test('the scanner client streams to clamd: a multi-megabyte clean stream, and EICAR inside a chunked stream', async (t) => {
  const { url } = await clamd;
  const scanner = createScanner({ url, whenDown: 'wait', timeoutMs: 20_000 });
  if (!scanner) throw new Error('no scanner');
  const big = Readable.from(
    (function* () {
      for (let i = 0; i < 80; i++) yield Buffer.alloc(64 * 1024, i);
    })(),
  );
  t.deepEqual(await scanner.scan(big), { verdict: 'clean' });
  t.deepEqual(await scanner.scan(Readable.from([Buffer.from(EICAR.slice(0, 10)), Buffer.from(EICAR.slice(10))])), {
    verdict: 'infected',
    signature: 'Edify-Test-EICAR.UNOFFICIAL',
  });
});

test('scanner down: files wait as pending (CLAMAV_WHEN_DOWN=wait), and are scanned once it is back', async (t) => {
  const w = await teacherUploads({ url: `tcp://127.0.0.1:${await deadPort()}`, whenDown: 'wait' });
  const res = await w.up('worksheet.pdf', PDF);
  t.is(res.status, 201, res.text);
  t.is(res.body.status, 'pending');
  const bad = await w.up('eicar.txt', EICAR);
  t.is(bad.body.status, 'pending');
  const { dbs, config } = testEnv();
  const down = await scanPendingFiles(dbs, fileServices(w.app.deps.config.files), { schools: [w.school.slug] });
  t.deepEqual(down, { scanned: 0, clean: 0, rejected: 0, pending: 2 });

  const back = { ...config.files, clamav: { url: (await clamd).url, whenDown: 'wait' as const, timeoutMs: 20_000 } };
  t.deepEqual(await scanPendingFiles(dbs, fileServices(back), { schools: [w.school.slug] }), { scanned: 2, clean: 1, rejected: 1, pending: 0 });
  const rows = await inSchool(w.school, (scope) => scope.db('files').select('id', 'status', 'storage_key'));
  const byId = Object.fromEntries(rows.map((r: { id: string; status: string }) => [r.id, r.status]));
  t.deepEqual(byId, { [res.body.id]: 'clean', [bad.body.id]: 'rejected' });
  const badKey = rows.find((r: { id: string }) => r.id === bad.body.id)?.storage_key;
  t.false(await fileServices(back).storage.exists(badKey));
});

test('scanner down with CLAMAV_WHEN_DOWN=refuse: 503 and nothing stored; after three failures the breaker opens', async (t) => {
  const url = `tcp://127.0.0.1:${await deadPort()}`;
  const w = await teacherUploads({ url, whenDown: 'refuse' });
  const res = await w.up('worksheet.pdf', PDF);
  t.is(res.status, 503, res.text);
  t.deepEqual(await inSchool(w.school, (scope) => scope.db('files').select('id')), []);

  const scanner = createScanner({ url, whenDown: 'refuse', timeoutMs: 1_000 });
  if (!scanner) throw new Error('no scanner');
  for (let i = 0; i < 3; i++) await t.throwsAsync(scanner.scan(Readable.from([Buffer.from('x')])), { name: 'ScannerDown' });
  t.true(scanner.isDown());
  await t.throwsAsync(scanner.scan(Readable.from([Buffer.from('x')])), { message: /circuit open/ });
});

// Storage per school: usage adds up after uploads and deletes, the plan's storage_gb is a hard
// limit (413), admins and `edify tenant:show` see it; cleanupFiles() and `edify files:cleanup`
// remove files never attached within 24 hours and files whose record was deleted.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { DEFAULT_PLANS } from '../../api/billing/plans.ts';
import { cleanupFiles, fileServices } from '../../api/files/service.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { PDF, PNG, upload } from '../helpers/files.ts';
import { homeworkWorld, inTables } from '../helpers/homework.ts';
import { startApp } from '../helpers/http.ts';

const storageOf = (w: Awaited<ReturnType<typeof homeworkWorld>>) => w.get(w.admin, '/api/v1/school/storage');

test('usage adds up after uploads and deletes, and admins (only) see it', async (t) => {
  const w = await homeworkWorld();
  t.like((await storageOf(w)).body, { used_bytes: 0, files: 0, limit_bytes: null, max_upload_bytes: 25 * 1024 * 1024 });
  const a = await upload(w.app, w.school.slug, w.sam.token, { name: 'a.pdf', content: PDF });
  const b = await upload(w.app, w.school.slug, w.teacher.token, { name: 'b.png', content: PNG, purpose: 'images' });
  t.like((await storageOf(w)).body, { used_bytes: PDF.length + PNG.length, files: 2, by_status: { unscanned: 2 } });
  t.is((await w.get(w.teacher, '/api/v1/school/storage')).status, 403);
  // The uploader deletes their own unattached file; others cannot see it to delete it.
  t.is((await w.request(w.ada, 'DELETE', `/api/v1/files/${a.body.id}`)).status, 404);
  t.is((await w.request(w.sam, 'DELETE', `/api/v1/files/${a.body.id}`)).status, 204);
  t.like((await storageOf(w)).body, { used_bytes: PNG.length, files: 1 });
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/files/${b.body.id}`)).status, 204);
  t.like((await storageOf(w)).body, { used_bytes: 0, files: 0 });
  t.false(await fileServices(w.app.deps.config.files).storage.exists(`${w.school.tenant.id}/x`));
  // Admins list every file; a student only their own.
  await upload(w.app, w.school.slug, w.sam.token, { name: 'c.pdf', content: PDF });
  t.is((await w.get(w.admin, '/api/v1/files')).body.data.length, 1);
  t.is((await w.get(w.ada, '/api/v1/files')).body.data.length, 0);

  const shown = await edify(['tenant:show', w.school.slug, '--json']);
  t.is(shown.code, 0, shown.stderr);
  t.like(shown.json.storage, { used_bytes: PDF.length, files: 1, limit_bytes: null });
});

test('the plan’s storage_gb and max_upload_mb are limits: 413 problems, nothing stored', async (t) => {
  const plansFile = path.join(os.tmpdir(), `edify-plans-${process.pid}.json`);
  const tinyGb = (PDF.length * 2.5) / 1024 ** 3;
  writeFileSync(
    plansFile,
    JSON.stringify([
      ...DEFAULT_PLANS,
      { id: 'tiny', name: 'Tiny', stripe_price_id: 'price_tiny', seat_limit: null, storage_gb: tinyGb, max_upload_mb: 0.0001 },
    ]),
  );
  const app = await startApp({ plansFile });
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const w = { app, school, teacher };
  await testEnv().dbs.owner('tenants').where({ id: school.tenant.id }).update({ plan: 'tiny' });
  const up = () => upload(w.app, w.school.slug, w.teacher.token, { name: 'a.pdf', content: PDF });
  t.is((await up()).status, 201);
  t.is((await up()).status, 201);
  const full = await up();
  t.is(full.status, 413);
  t.is(full.body.limit_bytes, Math.round(tinyGb * 1024 ** 3));
  t.is((await inTables(w.school, (db) => db('files').count({ n: '*' }).first()))?.n, '2');
  // Over max_upload_mb (about 100 bytes): refused whatever the room left.
  await inTables(w.school, (db) => db('files').delete());
  const big = await upload(w.app, w.school.slug, w.teacher.token, { name: 'big.pdf', content: Buffer.concat([PDF, Buffer.alloc(200, 0x20)]) });
  t.is(big.status, 413);
  t.regex(big.body.detail, /at most/);
});

test('cleanup removes files never attached within 24 hours and files of deleted records, nothing else', async (t) => {
  const w = await homeworkWorld();
  const { dbs } = testEnv();
  const { storage } = fileServices(w.app.deps.config.files);
  const up = async (name: string) => (await upload(w.app, w.school.slug, w.teacher.token, { name, content: PDF })).body.id as string;
  const [loose, kept, ofDeleted] = [await up('loose.pdf'), await up('kept.pdf'), await up('deleted.pdf')];
  const hw = await w.setHomework({ attachments: [{ file_id: kept }] });
  const doomed = await w.setHomework({ title: 'Doomed', attachments: [{ file_id: ofDeleted }] });
  const keys = Object.fromEntries(
    (await inTables(w.school, (db) => db('files').select('id', 'storage_key'))).map((r: { id: string; storage_key: string }) => [r.id, r.storage_key]),
  );
  const ids = async () => (await inTables(w.school, (db) => db('files').pluck('id'))).sort();

  // Within 24 hours nothing goes, attached or not.
  const later = (hours: number) => () => new Date(w.clock.now().getTime() + hours * 3_600_000);
  await cleanupFiles(dbs, storage, { clock: later(23), schools: [w.school.tenant.id] });
  t.deepEqual(await ids(), [loose, kept, ofDeleted].sort());
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/homework/${doomed.id}`)).status, 204);
  const result = await cleanupFiles(dbs, storage, { clock: later(25), schools: [w.school.tenant.id] });
  t.true(result.removed >= 2);
  t.deepEqual(await ids(), [kept]);
  t.false(await storage.exists(keys[loose] as string));
  t.false(await storage.exists(keys[ofDeleted] as string));
  t.true(await storage.exists(keys[kept] as string));
  t.is((await w.get(w.sam, `/api/v1/homework/${hw.id}`)).body.attachments[0].file_id, kept);
  // Taken off its homework, a file goes with the next cleanup too.
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/homework/${hw.id}`, { attachments: [] })).status, 200);
  await cleanupFiles(dbs, storage, { clock: later(25), schools: [w.school.tenant.id] });
  t.deepEqual(await ids(), []);
  t.false(await storage.exists(keys[kept] as string));
});

test('edify files:cleanup runs the same cleanup from the command line', async (t) => {
  const w = await homeworkWorld();
  const res = await upload(w.app, w.school.slug, w.teacher.token, { name: 'old.pdf', content: PDF });
  await inTables(w.school, (db) =>
    db('files')
      .where({ id: res.body.id })
      .update({ created_at: new Date(Date.now() - 2 * 86_400_000) }),
  );
  // One school only: other test files share this database.
  const run = await edify(['files:cleanup', '--school', w.school.slug, '--json']);
  t.is(run.code, 0, `${run.stderr}${run.stdout}`);
  t.true(run.json.removed >= 1);
  t.deepEqual(await inTables(w.school, (db) => db('files').pluck('id')), []);
});

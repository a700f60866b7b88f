// Retention (api/backup/retention.ts), backup targets (a directory or an S3-compatible bucket
// through the file service's S3 driver) and the scheduled backup job.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import test from 'ava';
import { retention } from '../../api/backup/retention.ts';
import { scheduledBackups } from '../../api/backup/schedule.ts';
import { backupTarget, parseBackupName } from '../../api/backup/targets.ts';
import { createLogger } from '../../api/http/logger.ts';
import { jobStats } from '../../api/jobs/admin.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool } from '../helpers/factories.ts';
import { startS3 } from '../helpers/files.ts';
import { testJobs } from '../helpers/jobs.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'edify-retention-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
const archive = (school: string, iso: string) => ({ name: `${school}-${stamp(new Date(iso))}.edifybak`, school, created_at: new Date(iso) });

test('keeps the newest archive of each of the last 7 days, 4 ISO weeks and 6 months, and each school’s newest', (t) => {
  const backups = [archive('a', '2026-11-26T14:00:00Z')];
  for (let d = new Date('2026-06-01T02:00:00Z'); d <= new Date('2026-11-26T02:00:00Z'); d = new Date(d.getTime() + 86_400_000)) {
    backups.push(archive('a', d.toISOString()));
  }
  backups.push(archive('b', '2025-01-15T02:00:00Z'));
  const decisions = retention(backups, { daily: 7, weekly: 4, monthly: 6 });
  const kept = decisions
    .filter((d) => d.keep)
    .map((d) => `${d.backup.school} ${d.backup.created_at.toISOString().slice(0, 13)}`)
    .sort();
  t.deepEqual(kept, [
    'a 2026-06-30T02', // monthly (6th month back)
    'a 2026-07-31T02',
    'a 2026-08-31T02',
    'a 2026-09-30T02',
    'a 2026-10-31T02',
    'a 2026-11-08T02', // weekly: W45
    'a 2026-11-15T02', // weekly: W46
    'a 2026-11-20T02', // daily from here
    'a 2026-11-21T02',
    'a 2026-11-22T02',
    'a 2026-11-23T02',
    'a 2026-11-24T02',
    'a 2026-11-25T02',
    'a 2026-11-26T14', // the newest of its day (the 02:00 one goes)
    'b 2025-01-15T02', // another school's only archive: its newest
  ]);
  const newest = decisions.find((d) => d.backup.name === backups[0]?.name);
  t.deepEqual(newest?.reasons, ['daily 2026-11-26', 'weekly 2026-W48', 'monthly 2026-11', 'newest']);
  t.is(decisions.length, backups.length);
  t.deepEqual(parseBackupName('my-school-20261126T140000Z.edifybak'), { school: 'my-school', created_at: new Date('2026-11-26T14:00:00Z') });
  t.is(parseBackupName('notes.txt'), undefined);
});

test('backup:create stores archives in an S3-compatible bucket; backup:prune is a dry run until --yes', async (t) => {
  const s3 = await startS3();
  const school = await createSchool();
  const env = { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', EDIFY_DATA_DIR: scratch };
  const target = `s3://${s3.bucket}/nightly`;
  const made = await edify(['backup:create', school.slug, '--out', target, '--json'], { env });
  t.is(made.code, 0, made.stderr);
  t.regex(made.json.file, new RegExp(`^s3://${s3.bucket}/nightly/${school.slug}-\\d{8}T\\d{6}Z\\.edifybak$`));
  t.deepEqual(readdirSync(path.join(scratch, 'backups', '.staging')), [], 'nothing left in staging');

  // Two older copies of the same archive, under older names.
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const key = made.json.file.replace(`s3://${s3.bucket}/`, '');
  const body = await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body?.transformToByteArray();
  const older = [`nightly/${school.slug}-20250101T020000Z.edifybak`, `nightly/${school.slug}-20250102T020000Z.edifybak`];
  for (const k of older) await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: k, Body: body }));
  const keys = async () => ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'nightly/' }))).Contents ?? []).map((o) => o.Key).sort();

  const dry = await edify(['backup:prune', '--target', target, '--keep-daily', '1', '--keep-weekly', '0', '--keep-monthly', '0', '--json'], { env });
  t.is(dry.code, 0, dry.stderr);
  t.like(dry.json, { dry_run: true, keep: { daily: 1, weekly: 0, monthly: 0 } });
  t.deepEqual(dry.json.would_delete.sort(), older.map((k) => k.replace('nightly/', '')).sort());
  t.is((await keys()).length, 3, 'a dry run deletes nothing');

  const done = await edify(['backup:prune', '--target', target, '--keep-daily', '1', '--keep-weekly', '0', '--keep-monthly', '0', '--yes', '--json'], { env });
  t.is(done.code, 0, done.stderr);
  t.deepEqual(await keys(), [key]);
  const listed = await edify(['backup:list', '--dir', target, '--json'], { env });
  t.is(listed.code, 0, listed.stderr);
  t.deepEqual(
    listed.json.map((b: { school: string; file: string }) => [b.school, b.file]),
    [[school.slug, made.json.file]],
  );
  client.destroy();
});

test('the scheduled job backs up each school into the target and then applies the retention', async (t) => {
  const { dbs, config } = testEnv();
  const school = await createSchool();
  const dir = path.join(scratch, 'nightly');
  const deps = {
    config: { ...config, backup: { ...config.backup, target: dir, keep: { daily: 2, weekly: 0, monthly: 0 } } },
    dbs,
    log: createLogger('silent'),
    clock: () => new Date(),
  };
  const first = await scheduledBackups(deps, { only: [school.slug] });
  t.is(first.stored.length, 1);
  t.deepEqual(first.failed, []);
  const [made] = readdirSync(dir);
  // Three older nights of the same school.
  for (const day of ['20260101', '20260102', '20260103'])
    copyFileSync(path.join(dir, made as string), path.join(dir, `${school.slug}-${day}T020000Z.edifybak`));
  writeFileSync(path.join(dir, 'README.txt'), 'not an archive');
  const second = await scheduledBackups({ ...deps, clock: () => new Date(Date.now() + 86_400_000) }, { only: [school.slug] });
  t.is(second.stored.length, 1);
  t.deepEqual(
    second.pruned.sort(),
    ['20260101', '20260102', '20260103'].map((d) => `${school.slug}-${d}T020000Z.edifybak`),
  );
  t.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.edifybak')).length, 2, 'two days kept');
  t.true(readdirSync(dir).includes('README.txt'), 'other files are left alone');
  const local = await backupTarget(dir, config).list();
  t.true(local.every((b) => b.school === school.slug && b.bytes > 0));
  const audit = await dbs.owner('platform_audit').where({ action: 'backup.pruned' }).orderBy('id', 'desc').first();
  t.like(audit, { actor: 'backup-schedule', via: 'worker', details: { target: dir } });
});

test('jobs:stats lists the backup schedule once the worker has registered it', async (t) => {
  const jobs = await testJobs();
  const name = jobs.name('backup');
  t.falsy(
    (await jobStats(jobs)).schedules.find((s) => s.queue === name),
    'not scheduled unless BACKUP_SCHEDULE is set',
  );
  await jobs.boss.schedule(name, '30 2 * * *', {}, { tz: 'UTC' });
  try {
    t.like(
      (await jobStats(jobs)).schedules.find((s) => s.queue === name),
      { cron: '30 2 * * *', registered: true },
    );
  } finally {
    await jobs.boss.unschedule(name);
  }
});

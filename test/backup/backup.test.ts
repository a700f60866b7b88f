// Per-school backup and restore (api/backup/, docs/operations.md "Backups"), through the real
// `edify` binary against the test database.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import pg from 'pg';
import { ArchiveWriter, type Header, type Manifest, type PartEnd, readFrames, readHeader } from '../../api/backup/archive.ts';
import { createBackup, restoreBackup, verifyBackup } from '../../api/backup/service.ts';
import { connect, withDatabaseName } from '../../api/db/connection.ts';
import { migrateLatest } from '../../api/db/migrate.ts';
import { createHomeworkInput } from '../../api/homework/schema.ts';
import { createHomework } from '../../api/homework/service.ts';
import { createClassNotice } from '../../api/notices/service.ts';
import { createTenant } from '../../api/platform/provision.ts';
import { createResource, createTopic } from '../../api/resources/service.ts';
import { createConnection } from '../../api/sso/connections.ts';
import { createTenantTable } from '../../tenants/schema.ts';
import { tenantTables } from '../helpers/catalog.ts';
import { edify, spawnEdify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool, inSchool, linkGuardian, type School, uniqueSlug } from '../helpers/factories.ts';
import { seedFile } from '../helpers/files.ts';
import { seedQuizAttempt } from '../helpers/quizzes.ts';
import { idpMetadata, keyPair } from '../helpers/saml-idp.ts';

const SESSIONS = ['auth_sessions', 'refresh_tokens', 'password_resets', 'email_verifications', 'saml_requests'];

const dirs: string[] = [];
test.after.always(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edify-backup-'));
  dirs.push(dir);
  return dir;
}

/** A school with every kind of data: people and sign-in sessions, a class with enrolments and a
 * guardian, homework with a submission, resources, a notice with a receipt, an SSO connection, a
 * quiz with an attempt and its answer, an uploaded file, and the audit rows all of that wrote. */
async function richSchool(): Promise<School> {
  const school = await createSchool({ name: 'Backed Up Academy' });
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student', { first_name: 'Tab\there', last_name: 'New\nline \\ back' });
  const guardian = await createPerson(school, 'guardian');
  await linkGuardian(school, guardian, student);
  const klass = await createClassIn(school, { teachers: [teacher], students: [student] }, 'Physics');
  const metadata = idpMetadata({ entityId: `https://idp.${school.slug}.test`, ssoUrl: 'https://idp.test/sso', certs: [keyPair('idp').cert] });
  await inSchool(school, (scope) => createConnection(scope, metadata, { name: 'District' }));
  await inSchool(school, async (scope) => {
    const created = await createHomework(
      scope,
      klass.id,
      createHomeworkInput.parse({ title: 'Forces', due_at: new Date(Date.now() + 7 * 86_400_000).toISOString(), publish_at: 'now' }),
    );
    const work = { homework_id: created.homework.id, student_id: student.id, class_id: klass.id, status: 'turned_in', body: 'My work', version: 1 };
    await scope.db('submissions').insert({ tenant_id: school.tenant.id, ...work, submitted_at: new Date() });
    const topic = await createTopic(scope, klass.id, { title: 'Unit 1' });
    await createResource(scope, klass.id, { kind: 'link', title: 'Link', url: 'https://example.org/x', topic_id: topic.id });
    const notice = await createClassNotice(scope, klass.id, { title: 'Trip', body: 'Bring **lunch**', publish_at: 'now' });
    await scope.db('notice_reads').insert({ tenant_id: school.tenant.id, notice_id: notice.id, user_id: student.id, read_at: new Date() });
  });
  await seedFile(school, teacher);
  await seedQuizAttempt(school, klass.id, student);
  return school;
}

/** Every tenant table's rows of one school, without tenant_id, in a stable order. */
async function rowsOf(tenantId: string, skip: string[] = []): Promise<Record<string, string[]>> {
  const { dbs } = testEnv();
  const out: Record<string, string[]> = {};
  for (const table of await tenantTables(dbs.owner)) {
    if (skip.includes(table)) continue;
    const rows = await dbs.owner.transaction(async (db) => {
      await db.raw("select set_config('app.tenant_id', ?, true)", [tenantId]);
      return (await db.raw('select * from ?? where tenant_id = ?', [table, tenantId])).rows as Record<string, unknown>[];
    });
    out[table] = rows.map(({ tenant_id: _t, ...rest }) => JSON.stringify(rest)).sort();
  }
  return out;
}

/** Through the CLI where the test is about the command; the service otherwise (each CLI run
 * starts a Node process). */
async function backup(school: School, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir();
  const made = await edify(['backup:create', school.slug, '--out', dir, '--json', ...args], { env });
  if (made.code !== 0) throw new Error(`backup failed: ${made.stderr}`);
  return made.json.file;
}

async function quickBackup(school: School): Promise<string> {
  return (await createBackup({ ownerUrl: testEnv().dbs.ownerUrl, slug: school.slug, dir: await tempDir() })).file;
}

const restore = (file: string, target: { as: string } | { replace: string }) => restoreBackup({ ownerUrl: testEnv().dbs.ownerUrl, file, target });

/** Rewrites an archive frame by frame (checksums and manifest recomputed), so a test can make
 * one that passes every integrity check yet fails to load, or claims another schema. */
async function rewrite(
  file: string,
  change: { header?: Partial<Header>; data?: (table: string, data: Buffer) => Buffer; keepChecksums?: boolean },
): Promise<string> {
  const { header } = await readHeader(file);
  const out = path.join(await tempDir(), `rewritten${randomBytes(3).toString('hex')}.edifybak`);
  const next = { ...header, ...change.header };
  const writer = new ArchiveWriter(out, { school: next.school, schema_version: next.schema_version, created_at: next.created_at }, undefined);
  const { createHash } = await import('node:crypto');
  let table = '';
  let buffered: Buffer[] = [];
  const parts: Manifest['parts'] = [];
  for await (const frame of readFrames(file, undefined)) {
    if (frame.type === 'B') {
      table = frame.part.table;
      buffered = [];
      await writer.begin(frame.part);
    } else if (frame.type === 'D') buffered.push(frame.data);
    else if (frame.type === 'E') {
      const data = change.data ? change.data(table, Buffer.concat(buffered)) : Buffer.concat(buffered);
      await writer.data(data);
      const end: PartEnd = change.keepChecksums
        ? frame.end
        : { rows: data.toString().split('\n').length - 1, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
      await writer.end(end);
      parts.push({ name: table, kind: 'table', table, columns: [], ...end });
    } else {
      const m = frame.manifest;
      await writer.finish({ ...m, schema_version: next.schema_version, parts: parts.map((p, i) => ({ ...p, columns: m.parts[i]?.columns ?? [] })) });
    }
  }
  return out;
}

test.serial('a school restored --as a new slug is equal row for row; the original is untouched; sessions stay behind', async (t) => {
  const school = await richSchool();
  const before = await rowsOf(school.tenant.id);
  for (const table of [
    'users',
    'classes',
    'enrollments',
    'guardian_links',
    'homework',
    'submissions',
    'notices',
    'notice_reads',
    'saml_connections',
    'quizzes',
    'quiz_attempts',
    'quiz_answers',
    'files',
    'resources',
    'audit_events',
    'auth_sessions',
  ]) {
    t.true((before[table]?.length ?? 0) > 0, `the school has ${table} rows`);
  }
  const file = await backup(school);
  const copy = uniqueSlug('copy');
  const restored = await edify(['backup:restore', file, '--as', copy, '--json']);
  t.is(restored.code, 0, restored.stderr);
  t.is(restored.json.school.slug, copy);
  t.not(restored.json.school.id, school.tenant.id);

  t.deepEqual(await rowsOf(school.tenant.id), before, 'the original is untouched');
  const after = await rowsOf(restored.json.school.id, SESSIONS);
  const expected = await rowsOf(school.tenant.id, SESSIONS);
  t.deepEqual(after, expected, 'every tenant table but the session tables is equal row for row');
  const sessions = await rowsOf(restored.json.school.id);
  for (const table of SESSIONS) t.deepEqual(sessions[table], [], `${table} is not carried over`);
  const { dbs } = testEnv();
  const tenant = await dbs.owner('tenants').where({ slug: copy }).first();
  t.is(tenant.name, 'Backed Up Academy');
  t.is(tenant.stripe_customer_id, null);
});

test.serial('--as follows the slug rules and never takes an existing school', async (t) => {
  const school = await createSchool();
  const file = await quickBackup(school);
  await t.throwsAsync(restore(file, { as: 'admin' }), { message: /admin/ });
  await t.throwsAsync(restore(file, { as: school.slug }), { message: /already taken/ });
});

test.serial('--replace brings a school back to the backup, in one transaction', async (t) => {
  const school = await richSchool();
  const file = await quickBackup(school);
  const snapshot = await rowsOf(school.tenant.id, SESSIONS);
  const later = await createPerson(school, 'teacher');
  t.notDeepEqual(await rowsOf(school.tenant.id, SESSIONS), snapshot);

  const refused = await edify(['backup:restore', file, '--replace', school.slug]);
  t.is(refused.code, 1, 'not confirmed without --yes when not interactive');
  t.true((await rowsOf(school.tenant.id)).users?.some((u) => u.includes(later.id)));

  const replaced = await edify(['backup:restore', file, '--replace', school.slug, '--yes', '--json']);
  t.is(replaced.code, 0, replaced.stderr);
  t.is(replaced.json.school.id, school.tenant.id);
  t.deepEqual(await rowsOf(school.tenant.id, SESSIONS), snapshot);
});

test.serial('a --replace that fails midway (after every checksum passed) leaves the school exactly as it was', async (t) => {
  const school = await richSchool();
  const file = await quickBackup(school);
  await createPerson(school, 'student');
  const before = await rowsOf(school.tenant.id);
  // Duplicate the rows of the last part with data: the checksums are right, the load fails on
  // the primary key after every earlier table was deleted and loaded.
  const { header } = await readHeader(file);
  const manifest = await lastManifest(file);
  const last = [...manifest.parts].reverse().find((p) => p.rows > 0 && !SESSIONS.includes(p.table));
  t.truthy(last);
  const broken = await rewrite(file, { data: (table, data) => (table === last?.table ? Buffer.concat([data, data]) : data) });
  t.is((await verifyBackup(broken, undefined)).school.id, header.school.id, 'the broken archive passes verify');
  await t.throwsAsync(restore(broken, { replace: school.slug }), { message: /duplicate key/ });
  // A part whose bytes no longer match its checksum fails while its COPY is still open.
  const tampered = await rewrite(file, {
    keepChecksums: true,
    data: (table, data) => (table === last?.table ? Buffer.from(data.toString().replace(/.$/s, 'X\n')) : data),
  });
  await t.throwsAsync(restore(tampered, { replace: school.slug }), { message: /fails its checksum/ });
  t.deepEqual(await rowsOf(school.tenant.id), before);
});

// Serial (like every test here: each starts CLI processes on a shared machine); this one also
// holds a table lock that concurrent inserts would queue behind.
test.serial('a --replace killed with SIGKILL midway leaves the school exactly as it was', async (t) => {
  const school = await richSchool();
  const file = await quickBackup(school);
  await createPerson(school, 'student');
  const before = await rowsOf(school.tenant.id);
  const { config, dbs } = testEnv();
  // Hold a lock the restore needs late (users is deleted after every table that refers to it),
  // wait until the restore is blocked on it with most of the school deleted, then kill it.
  const locker = new pg.Client({ connectionString: dbs.ownerUrl });
  await locker.connect();
  await locker.query('begin');
  await locker.query('lock table public.users in share mode');
  const run = spawnEdify(['backup:restore', file, '--replace', school.slug, '--yes'], { DATABASE_URL: config.databaseUrl as string });
  let blocked = false;
  // Bounded: a restore that never reaches the lock fails this test with its output, never hangs it.
  for (let polls = 0; polls < 1200; polls++) {
    const { rows } = await dbs.owner.raw(
      "select count(*)::int as n from pg_stat_activity where application_name = 'edify backup:restore' and wait_event_type = 'Lock' and query ilike 'delete from public.\"users\"%'",
    );
    if (rows[0].n > 0) {
      blocked = true;
      break;
    }
    if (run.child.exitCode !== null) break;
    await dbs.owner.raw('select pg_sleep(0.05)');
  }
  run.child.kill('SIGKILL');
  await run.exited;
  await locker.query('rollback');
  await locker.end();
  t.true(blocked, `the restore reached the users table with the rest deleted: ${run.output()}`);
  t.notRegex(run.output(), /Restored/);
  t.deepEqual(await rowsOf(school.tenant.id), before);
});

async function lastManifest(file: string): Promise<Manifest> {
  let manifest: Manifest | undefined;
  for await (const frame of readFrames(file, undefined)) if (frame.type === 'M') manifest = frame.manifest;
  if (!manifest) throw new Error('no manifest');
  return manifest;
}

test.serial('one flipped byte fails verify and restore', async (t) => {
  const school = await richSchool();
  const file = await quickBackup(school);
  t.is((await verifyBackup(file, undefined)).school.id, school.tenant.id);
  const bytes = await readFile(file);
  const flippedOnce = Buffer.from(bytes);
  flippedOnce[bytes.length - 40] = (flippedOnce[bytes.length - 40] as number) ^ 0x01;
  const once = path.join(await tempDir(), 'once.edifybak');
  await writeFile(once, flippedOnce);
  const cliVerify = await edify(['backup:verify', once]);
  t.is(cliVerify.code, 1);
  t.regex(cliVerify.stderr, /damaged/);
  // In the clear header (the school's slug), in the middle of the body, in the trailer.
  for (const at of [bytes.indexOf(school.slug) + 2, Math.floor(bytes.length / 2), bytes.length - 3]) {
    const flipped = Buffer.from(bytes);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    const damaged = path.join(await tempDir(), 'damaged.edifybak');
    await writeFile(damaged, flipped);
    await t.throwsAsync(verifyBackup(damaged, undefined), undefined, `verify refuses a flip at byte ${at}`);
    const copy = uniqueSlug('flip');
    await t.throwsAsync(
      restoreBackup({ ownerUrl: testEnv().dbs.ownerUrl, file: damaged, target: { as: copy } }),
      undefined,
      `restore refuses a flip at byte ${at}`,
    );
    t.falsy(await testEnv().dbs.owner('tenants').where({ slug: copy }).first(), 'no school was created');
  }
});

test.serial('an encrypted backup needs its key: the wrong key or passphrase cannot verify or restore it', async (t) => {
  const school = await richSchool();
  const key = randomBytes(32).toString('base64');
  const file = await backup(school, ['--encrypt'], { EDIFY_BACKUP_KEY: key });
  t.is((await readHeader(file)).header.encryption?.cipher, 'aes-256-gcm');
  t.is((await verifyBackup(file, { key: Buffer.from(key, 'base64') })).school.id, school.tenant.id);
  const wrong = randomBytes(32).toString('base64');
  const verify = await edify(['backup:verify', file], { env: { EDIFY_BACKUP_KEY: wrong } });
  t.is(verify.code, 1);
  t.regex(verify.stderr, /Wrong key/);
  const copy = uniqueSlug('enc');
  const ownerUrl = testEnv().dbs.ownerUrl;
  await t.throwsAsync(restoreBackup({ ownerUrl, file, key: { key: Buffer.from(wrong, 'base64') }, target: { as: copy } }), { message: /Wrong key/ });
  await t.throwsAsync(restoreBackup({ ownerUrl, file, target: { as: copy } }), { message: /encrypted/ });
  const ok = await edify(['backup:restore', file, '--as', copy, '--json'], { env: { EDIFY_BACKUP_KEY: key } });
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(await rowsOf(ok.json.school.id, SESSIONS), await rowsOf(school.tenant.id, SESSIONS));

  // A passphrase (scrypt) works the same way; the CLI reads it from a file (--passphrase-file).
  const withPass = await createBackup({ ownerUrl, slug: school.slug, dir: await tempDir(), key: { passphrase: 'a long enough passphrase' } });
  t.is((await verifyBackup(withPass.file, { passphrase: 'a long enough passphrase' })).rows, withPass.rows);
  await t.throwsAsync(verifyBackup(withPass.file, { passphrase: 'another long passphrase' }), { message: /Wrong key/ });
  await t.throwsAsync(verifyBackup(withPass.file, { key: Buffer.from(key, 'base64') }), { message: /passphrase/ });
});

test.serial('an archive from another schema version is refused with a clear message', async (t) => {
  const school = await createSchool();
  const file = await quickBackup(school);
  const newer = await rewrite(file, { header: { schema_version: '99991231000000_future.ts' } });
  await t.throwsAsync(restore(newer, { as: uniqueSlug('new') }), { message: /newer than this database/ });
  const older = await rewrite(file, { header: { schema_version: '20000101000000_old.ts' } });
  await t.throwsAsync(restore(older, { as: uniqueSlug('old') }), { message: /not supported yet/ });
});

test.serial('backup:list shows the archives in a directory with school, date, size and encryption', async (t) => {
  const school = await createSchool();
  const dir = path.dirname(await quickBackup(school));
  const listed = await edify(['backup:list', '--dir', dir, '--json']);
  t.is(listed.code, 0, listed.stderr);
  t.is(listed.json.length, 1);
  t.like(listed.json[0], { school: school.slug, school_name: school.tenant.name, encrypted: false });
  t.true(listed.json[0].bytes > 0);
  const all = await edify(['backup:create', '--all', '--out', dir, '--json']);
  t.is(all.code, 0, all.stderr);
  t.true(all.json.backups.some((b: { school: string }) => b.school === school.slug));
});

test.serial('a tenant table added by a later migration is backed up without code changes', async (t) => {
  const { config } = testEnv();
  const name = `${new URL(config.databaseUrl as string).pathname.slice(1)}_bk`;
  const serverUrl = withDatabaseName(config.databaseUrl as string, 'postgres');
  const server = connect(serverUrl, 1);
  await server.raw('create database ??', [name]);
  const ownerUrl = withDatabaseName(config.databaseUrl as string, name);
  const owner = connect(ownerUrl, 2);
  try {
    await migrateLatest(owner, withDatabaseName(config.appDatabaseUrl as string, name));
    await createTenantTable(owner, 'backup_probes', (table) => table.text('note'));
    const { tenant } = await createTenant(
      owner,
      { slug: uniqueSlug('probe'), name: 'Probe', admin: { email: 'a@probe.test', password: 'correct horse battery' } },
      { label: 'test' },
    );
    await owner.transaction(async (db) => {
      await db.raw("select set_config('app.tenant_id', ?, true)", [tenant.id]);
      await db('backup_probes').insert({ tenant_id: tenant.id, note: 'found' });
    });
    const made = await createBackup({ ownerUrl, slug: tenant.slug, dir: await tempDir() });
    const manifest = await lastManifest(made.file);
    const tables = await tenantTables(owner);
    t.deepEqual(manifest.parts.map((p) => p.table).sort(), [...tables].sort(), 'every tenant table is in the backup');
    t.is(manifest.parts.find((p) => p.table === 'backup_probes')?.rows, 1);
  } finally {
    await owner.destroy();
    await server.raw('drop database ?? with (force)', [name]);
    await server.destroy();
  }
});

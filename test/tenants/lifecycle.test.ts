// tenant:export and tenant:delete, and suspended schools' timed work. Run through the real CLI.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse } from 'csv-parse/sync';
import { fileServices } from '../../api/files/service.ts';
import { schoolTick } from '../../api/jobs/timed.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { setTenantStatus } from '../../api/platform/provision.ts';
import { subdomainStatus } from '../../api/signup/service.ts';
import { tenantTables } from '../helpers/catalog.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool, inSchool, uniqueSlug } from '../helpers/factories.ts';
import { PDF, seedFile } from '../helpers/files.ts';
import { MAIL_DIR } from '../helpers/http.ts';
import { testJobs, workerDeps } from '../helpers/jobs.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'edify-lifecycle-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** Stripe's cancel (DELETE /v1/subscriptions/:id), recorded. */
async function stripeCancels(): Promise<{ url: string; cancelled: string[]; close: () => void }> {
  const cancelled: string[] = [];
  const server = http.createServer((req, res) => {
    const match = /^\/v1\/subscriptions\/([^/?]+)/.exec(req.url ?? '');
    req.resume();
    if (req.method === 'DELETE' && match?.[1]) {
      cancelled.push(match[1]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: match[1], object: 'subscription', status: 'canceled' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'not here' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cancelled, close: () => server.close() };
}

async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const { dbs } = testEnv();
  const counts: Record<string, number> = {};
  // The owner here is a superuser: it sees every row whatever RLS says.
  for (const table of await tenantTables(dbs.owner)) {
    const [row] = await dbs.owner(table).where({ tenant_id: tenantId }).count({ n: '*' });
    if (Number(row?.n) > 0) counts[table] = Number(row?.n);
  }
  return counts;
}

test('tenant:delete takes a final backup, cancels the subscription, and leaves no row in any tenant table and no stored file', async (t) => {
  const { dbs, config } = testEnv();
  const [school, other] = await Promise.all([createSchool(), createSchool()]);
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  await createClassIn(school, { teachers: [teacher], students: [student] });
  const fileId = await seedFile(school, teacher, 'plan.pdf');
  const key: string = await inSchool(school, (scope) =>
    scope
      .db('files')
      .where({ id: fileId })
      .first()
      .then((f: { storage_key: string }) => f.storage_key),
  );
  await dbs.owner('tenants').where({ id: school.tenant.id }).update({ stripe_subscription_id: 'sub_delete_me', billing_status: 'active' });
  const before = await rowsOf(school.tenant.id);
  t.true(Object.keys(before).length >= 5, `the school has rows in several tables: ${JSON.stringify(before)}`);
  const otherBefore = await rowsOf(other.tenant.id);

  const unconfirmed = await edify(['tenant:delete', school.slug]);
  t.is(unconfirmed.code, 1);
  t.regex(unconfirmed.stderr, /--yes/);
  t.deepEqual(await rowsOf(school.tenant.id), before, 'nothing changed without confirmation');

  const stripe = await stripeCancels();
  const backups = path.join(scratch, 'final');
  const res = await edify(['tenant:delete', school.slug, '--yes', '--backup-dir', backups, '--json'], {
    env: { STRIPE_SECRET_KEY: 'sk_test_edify', STRIPE_API_BASE: stripe.url, EDIFY_OPERATOR: 'ops@box' },
  });
  stripe.close();
  t.is(res.code, 0, res.stderr);
  t.like(res.json, { school: { slug: school.slug }, subscription: 'canceled', files: { removed: 1, failed: 0 } });
  t.deepEqual(stripe.cancelled, ['sub_delete_me']);
  t.true(res.json.backup.startsWith(backups));
  t.is((await edify(['backup:verify', res.json.backup, '--json'])).json?.school?.slug, school.slug, 'the final backup verifies');

  t.deepEqual(await rowsOf(school.tenant.id), {}, 'no rows left in any tenant table');
  t.is(await dbs.owner('tenants').where({ id: school.tenant.id }).first(), undefined);
  t.false(await fileServices(config.files).storage.exists(key), 'the stored file is gone');
  t.deepEqual(await rowsOf(other.tenant.id), otherBefore, 'another school is untouched');

  const audit = await dbs.owner('platform_audit').where({ school_id: school.tenant.id }).orderBy('id');
  t.deepEqual(
    audit.map((r: { action: string }) => r.action),
    ['tenant.created', 'tenant.backed_up', 'tenant.deleted'],
  );
  t.like(audit[2], { actor: 'ops@box', via: 'cli', school_slug: school.slug, details: { subscription: 'canceled', final_backup: res.json.backup } });
});

test('a deleted school’s subdomain stays held: taken for signup and tenant:create, look-alikes too; only its own backup may restore under it', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool({ slug: uniqueSlug('gone') });
  const other = await createSchool();
  const dir = path.join(scratch, 'held');
  const deleted = await edify(['tenant:delete', school.slug, '--yes', '--backup-dir', dir, '--json']);
  t.is(deleted.code, 0, deleted.stderr);
  const heldUntil = new Date(deleted.json.subdomain_held_until).getTime();
  t.true(Math.abs(heldUntil - (Date.now() + 90 * 86_400_000)) < 3_600_000, 'held for 90 days');

  t.like(await subdomainStatus({ dbs }, school.slug), { available: false, reason: 'taken' });
  t.like(await subdomainStatus({ dbs }, school.slug.replace('o', '0')), { available: false, reason: 'lookalike' });
  const create = await edify(['tenant:create', school.slug, '--name', 'Someone Else', '--admin-email', 'new@example.test', '--json']);
  t.not(create.code, 0);
  t.regex(`${create.stdout}${create.stderr}`, /already taken/);
  t.is(await dbs.owner('tenants').where({ slug: school.slug }).first(), undefined);

  // Another school's backup may not take the name; the deleted school's own may, and the hold goes.
  const otherBackup = await edify(['backup:create', other.slug, '--out', dir, '--json']);
  t.is(otherBackup.code, 0, otherBackup.stderr);
  const intruder = await edify(['backup:restore', otherBackup.json.file, '--as', school.slug, '--json']);
  t.not(intruder.code, 0);
  t.regex(`${intruder.stdout}${intruder.stderr}`, /already taken/);
  const back = await edify(['backup:restore', deleted.json.backup, '--as', school.slug, '--json']);
  t.is(back.code, 0, back.stderr);
  t.like(back.json, { school: { slug: school.slug } });
  t.is(await dbs.owner('tenant_slug_redirects').where({ old_slug: school.slug }).first(), undefined, 'the hold is gone once the school is back');
});

test('tenant:delete changes nothing when the subscription cannot be cancelled; --no-backup skips the backup', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await dbs.owner('tenants').where({ id: school.tenant.id }).update({ stripe_subscription_id: 'sub_keep', billing_status: 'active' });
  const refused = await edify(['tenant:delete', school.slug, '--yes', '--no-backup'], { env: { STRIPE_SECRET_KEY: '' } });
  t.is(refused.code, 1);
  t.regex(refused.stderr.replace(/\s+/g, ' '), /billing is not set up here .*Nothing was deleted/);
  t.truthy(await dbs.owner('tenants').where({ id: school.tenant.id }).first());

  await dbs.owner('tenants').where({ id: school.tenant.id }).update({ billing_status: 'canceled' });
  const res = await edify(['tenant:delete', school.slug, '--yes', '--no-backup', '--json']);
  t.is(res.code, 0, res.stderr);
  t.like(res.json, { subscription: 'none', backup: null });
  t.deepEqual(await rowsOf(school.tenant.id), {});
});

test('tenant:export writes CSV and JSON per table, the files, a manifest and a README, without secrets', async (t) => {
  const school = await createSchool({ name: 'Export "Primary"' });
  const teacher = await createPerson(school, 'teacher', { first_name: 'Zoë', last_name: 'O\\Brien' });
  const klass = await createClassIn(school, { teachers: [teacher] }, 'Maths, "set 1"\nback\\slash');
  const fileId = await seedFile(school, teacher, 'scheme/of work.pdf');
  const res = await edify(['tenant:export', school.slug, '--out', scratch, '--json']);
  t.is(res.code, 0, res.stderr);
  const dir: string = res.json.dir;
  t.true(dir.startsWith(path.join(scratch, `${school.slug}-export-`)));

  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  t.like(manifest, { format: 'edify-export/1', school: { slug: school.slug, name: 'Export "Primary"' } });
  const tables = manifest.tables.map((x: { name: string }) => x.name);
  for (const name of ['users', 'classes', 'enrollments', 'files', 'audit_events']) t.true(tables.includes(name), name);
  t.false(tables.includes('auth_sessions'), 'sign-in sessions stay behind');
  const users = manifest.tables.find((x: { name: string }) => x.name === 'users');
  t.true(users.left_out.includes('password_hash'));
  t.false(users.columns.includes('password_hash'));
  t.false(users.columns.includes('tenant_id'));

  const usersJson = JSON.parse(readFileSync(path.join(dir, 'data', 'users.json'), 'utf8'));
  t.is(usersJson.length, 2);
  t.truthy(
    usersJson.find((u: { last_name: string }) => u.last_name === 'O\\Brien'),
    'a backslash survives into JSON',
  );
  t.false(readFileSync(path.join(dir, 'data', 'users.csv'), 'utf8').includes('scrypt'), 'no password hash anywhere');
  const classesJson = JSON.parse(readFileSync(path.join(dir, 'data', 'classes.json'), 'utf8'));
  t.is(classesJson[0].name, 'Maths, "set 1"\nback\\slash');
  const classesCsv = parse(readFileSync(path.join(dir, 'data', 'classes.csv')), { columns: true }) as { id: string; name: string }[];
  t.deepEqual(
    classesCsv.map((c) => [c.id, c.name]),
    [[klass.id, 'Maths, "set 1"\nback\\slash']],
  );

  const file = manifest.files.find((f: { id: string }) => f.id === fileId);
  t.is(file.path, `files/${fileId}/scheme_of work.pdf`);
  t.deepEqual(readFileSync(path.join(dir, file.path)), PDF);
  t.regex(readFileSync(path.join(dir, 'README.md'), 'utf8'), /\| users \| 2 \|/);
  const { dbs } = testEnv();
  t.truthy(await dbs.owner('platform_audit').where({ school_id: school.tenant.id, action: 'tenant.exported' }).first());
});

test('a suspended school’s timed work does not run, and runs again once it is resumed', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const deps = workerDeps(await testJobs(), createMailer({ from: 'Edify <test@edify.test>', mailDir: MAIL_DIR }));
  await setTenantStatus(dbs.owner, school.slug, { status: 'suspended', reason: 'Unpaid' }, { label: 'test' });
  t.is(await schoolTick(deps, { tenant_id: school.tenant.id }), undefined, 'the tick is dropped for a suspended school');
  await setTenantStatus(dbs.owner, school.slug, { status: 'active' }, { label: 'test' });
  t.truthy(await schoolTick(deps, { tenant_id: school.tenant.id }));
});

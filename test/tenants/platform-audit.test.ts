// The platform audit (api/audit/platform.ts): operators' actions across schools, append-only for
// every role — the app role by its grants, and even the owner (a superuser here) by a trigger.
import test from 'ava';
import { platformAudit } from '../../api/audit/platform.ts';
import { setTenantStatus } from '../../api/platform/provision.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool } from '../helpers/factories.ts';

test('creating, suspending and resuming a school leave platform records with the operator; audit:list filters by school and time', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await setTenantStatus(dbs.owner, school.slug, { status: 'suspended', reason: 'Unpaid' }, { label: 'ops@box', via: 'cli' });
  const resumed = await edify(['tenant:resume', school.slug, '--json'], { env: { EDIFY_OPERATOR: 'ada@laptop' } });
  t.is(resumed.code, 0, resumed.stderr);

  const list = await edify(['audit:list', school.slug, '--json']);
  t.is(list.code, 0, list.stderr);
  const entries = list.json.entries as { action: string; actor: string; via: string; school_slug: string; details: Record<string, unknown> }[];
  t.deepEqual(
    entries.map((e) => e.action),
    ['tenant.resumed', 'tenant.suspended', 'tenant.created'],
    'newest first, this school only',
  );
  t.like(entries[0], { actor: 'ada@laptop', via: 'cli', school_slug: school.slug });
  t.like(entries[1], { actor: 'ops@box', details: { reason: 'Unpaid' } });

  const future = await edify(['audit:list', school.slug, '--since', new Date(Date.now() + 3_600_000).toISOString(), '--json']);
  t.deepEqual(future.json.entries, []);
  const human = await edify(['audit:list', school.slug]);
  t.regex(human.stdout, /AT\s+ACTION\s+SCHOOL\s+ACTOR/);
  t.regex(human.stdout, /tenant\.resumed/);
  const bad = await edify(['audit:list', '--since', 'last tuesday']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /not a date/);
});

test('the platform audit is append-only: the app role may not update or delete, and the trigger refuses even the owner', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  await platformAudit(dbs.app, { label: 'probe' }, 'probe.inserted', { id: school.tenant.id, slug: school.slug });
  const mine = () => dbs.owner('platform_audit').where({ school_id: school.tenant.id });
  t.is((await mine().clone()).length, 2, 'the app role may insert (and the school’s creation was recorded)');

  await t.throwsAsync(dbs.app('platform_audit').where({ school_id: school.tenant.id }).update({ action: 'nothing' }), { message: /permission denied/ });
  await t.throwsAsync(dbs.app('platform_audit').where({ school_id: school.tenant.id }).delete(), { message: /permission denied/ });
  await t.throwsAsync(dbs.app.raw('truncate platform_audit'), { message: /permission denied/ });

  const { rows } = await dbs.owner.raw('select rolsuper from pg_roles where rolname = current_user');
  t.true(rows[0].rolsuper, 'the owner here is a superuser: only the trigger stands in its way');
  await t.throwsAsync(mine().update({ action: 'nothing' }), { message: /append-only \(UPDATE refused\)/ });
  await t.throwsAsync(mine().delete(), { message: /append-only \(DELETE refused\)/ });
  await t.throwsAsync(dbs.owner.raw('truncate platform_audit'), { message: /append-only \(TRUNCATE refused\)/ });
  t.deepEqual((await mine()).map((r: { action: string }) => r.action).sort(), ['probe.inserted', 'tenant.created']);
});

test('the school audit log stays append-only for the app role (audit_events: no update or delete grant)', async (t) => {
  const { dbs } = testEnv();
  const { rows } = await dbs.owner.raw(
    `select privilege_type from information_schema.role_table_grants where grantee = 'edify_app' and table_name = 'audit_events' order by 1`,
  );
  t.deepEqual(
    rows.map((r: { privilege_type: string }) => r.privilege_type),
    ['INSERT', 'SELECT'],
  );
  // Proven by behaviour in test/tenants/rls.test.ts ("audit events are append-only for the app
  // role"); the route is paginated in test/audit/audit-log.test.ts.
});

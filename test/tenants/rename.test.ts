// tenant:rename: the school moves to a new subdomain; the old one answers 308 for 90 days (by the
// app's clock), is held from everyone else meanwhile, and is free afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { createBackup, restoreBackup } from '../../api/backup/service.ts';
import { renameTenant } from '../../api/platform/renames.ts';
import { subdomainStatus } from '../../api/signup/service.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool, PASSWORD, uniqueSlug } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const DAY = 86_400_000;

test('a renamed school answers at its new address, and its old address redirects (308) until 90 days have passed', async (t) => {
  const school = await createSchool();
  const old = school.slug;
  const next = uniqueSlug('moved');
  let clock = new Date();
  const app = await startApp({}, { clock: () => clock });

  const unconfirmed = await edify(['tenant:rename', old, next]);
  t.is(unconfirmed.code, 1);
  t.regex(unconfirmed.stderr, /--yes/);
  const renamed = await edify(['tenant:rename', old, next, '--yes', '--json']);
  t.is(renamed.code, 0, renamed.stderr);
  t.like(renamed.json, { slug: next, from: old, url: `http://${next}.localhost:3000`, sso_connections: 0 });
  t.true(new Date(renamed.json.redirect_until).getTime() > Date.now() + 89 * DAY);

  const page = await app.request(old, 'GET', '/sign-in?next=%2Fclasses');
  t.is(page.status, 308);
  t.is(page.headers.location, `http://${next}.localhost:3000/sign-in?next=%2Fclasses`);
  const login = await app.request(old, 'POST', '/api/v1/auth/login', { body: { email: school.admin.email, password: PASSWORD } });
  t.is(login.status, 308, 'a POST is redirected as a POST');
  t.is(login.headers.location, `http://${next}.localhost:3000/api/v1/auth/login`);
  const there = await app.request(next, 'POST', '/api/v1/auth/login', { body: { email: school.admin.email, password: PASSWORD } });
  t.is(there.status, 200, 'the school works at its new address');

  // Nobody else can take the old subdomain while it redirects.
  const taken = await edify(['tenant:create', old, '--name', 'Squatter', '--admin-email', `a@${old}.test`]);
  t.is(taken.code, 1);
  t.regex(taken.stderr, /already taken/);

  clock = new Date(Date.now() + 89 * DAY);
  t.is((await app.request(old, 'GET', '/')).status, 308, 'day 89: still redirecting');
  clock = new Date(Date.now() + 91 * DAY);
  const gone = await app.request(old, 'GET', '/');
  t.is(gone.status, 404, 'after 90 days the old address is nobody’s');
  t.is((await app.request(next, 'GET', '/')).status, 200);

  const audit = await edify(['audit:list', old, '--json']);
  t.like(audit.json.entries[0], { action: 'tenant.renamed', school_slug: next, details: { from: old, to: next } });
});

test('the new subdomain follows the rules of tenant:create: format, reserved names, other schools and their look-alikes', async (t) => {
  const [school, other] = await Promise.all([createSchool(), createSchool({ slug: uniqueSlug('lincoln') })]);
  const lookalike = other.slug.replace('l', '1');
  const cases: [string, RegExp][] = [
    ['Bad_Slug!', /must be 3–63 characters/],
    ['admin', /"admin" is reserved/],
    ['st4tus', /looks too much like the\s+reserved name "status"/],
    [other.slug, /already taken/],
    [lookalike, /looks too much like an\s+existing school's/],
    [school.slug, /already at/],
  ];
  for (const [target, message] of cases) {
    const res = await edify(['tenant:rename', school.slug, target, '--yes']);
    t.is(res.code, 1, target);
    t.regex(res.stderr.replace(/\s+/g, ' '), message, target);
  }
  t.regex((await edify(['tenant:rename', 'no-such-school', uniqueSlug(), '--yes'])).stderr, /was not found/);
});

test('renaming back to an old name ends that redirect; a chain of renames redirects every old name to the current one', async (t) => {
  const school = await createSchool();
  const [a, b, c] = [school.slug, uniqueSlug('b'), uniqueSlug('c')];
  t.is((await edify(['tenant:rename', a, b, '--yes'])).code, 0);
  t.is((await edify(['tenant:rename', b, c, '--yes'])).code, 0);
  const app = await startApp();
  t.is((await app.request(a, 'GET', '/')).headers.location, `http://${c}.localhost:3000/`);
  t.is((await app.request(b, 'GET', '/')).headers.location, `http://${c}.localhost:3000/`);
  const back = await edify(['tenant:rename', c, a, '--yes']);
  t.is(back.code, 0, back.stderr);
  t.is((await app.request(a, 'GET', '/')).status, 200);
  t.is((await app.request(c, 'GET', '/')).headers.location, `http://${a}.localhost:3000/`);
});

test('while it redirects, an old subdomain is refused by the signup check and by a restore --as, like a live school’s', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool({ slug: uniqueSlug('held') });
  const old = school.slug;
  await renameTenant(dbs.owner, old, uniqueSlug('moved'), { label: 'test' });
  t.like(await subdomainStatus({ dbs }, old), { available: false, reason: 'taken' });
  t.like(await subdomainStatus({ dbs }, old.replace('l', '1')), { available: false, reason: 'lookalike' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-rename-'));
  try {
    const made = await createBackup({ ownerUrl: dbs.ownerUrl, slug: (await renamedSlug(school.tenant.id)) as string, dir });
    await t.throwsAsync(restoreBackup({ ownerUrl: dbs.ownerUrl, file: made.file, target: { as: old } }), { message: /already taken/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function renamedSlug(id: string): Promise<string | undefined> {
  const row = await testEnv().dbs.owner('tenants').where({ id }).first('slug');
  return row?.slug;
}

// The operator CLI, run as a real process. Commands call the same services as the API.
import test from 'ava';
import { edify } from '../helpers/cli.ts';
import { uniqueSlug } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('tenant:create makes a school whose admin can sign in at its subdomain', async (t) => {
  const slug = uniqueSlug('lincoln');
  const res = await edify([
    'tenant:create',
    slug,
    '--name',
    'Lincoln Elementary',
    '--admin-email',
    `a@${slug}.test`,
    '--timezone',
    'America/Chicago',
    '--json',
  ]);
  t.is(res.code, 0, res.stderr);
  t.like(res.json, { tenant: { slug, name: 'Lincoln Elementary', status: 'active', timezone: 'America/Chicago' }, admin: { email: `a@${slug}.test` } });
  t.regex(res.json.admin_password, /^.{16}$/);
  t.is(res.json.url, `http://${slug}.localhost:3000`);

  const app = await startApp();
  const login = await app.request(slug, 'POST', '/api/v1/auth/login', { body: { email: `a@${slug}.test`, password: res.json.admin_password } });
  t.is(login.status, 200);
  const me = await app.request(slug, 'GET', '/api/v1/me', { token: login.body.access_token });
  t.is(me.body.role, 'admin');
});

test('tenant:create prints the one-time password for humans, and refuses bad input with one line', async (t) => {
  const slug = uniqueSlug('oak');
  const human = await edify(['tenant:create', slug, '--name', 'Oak', '--admin-email', `a@${slug}.test`, '--admin-password', 'a long enough password']);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`Created Oak at http://${slug}.localhost:3000`));
  t.notRegex(human.stdout, /One-time password/, 'no generated password when one was given');

  const cases: [string[], RegExp][] = [
    [['tenant:create', 'Bad_Slug!', '--name', 'X', '--admin-email', 'a@x.test'], /slug must be 3–63 characters/],
    [['tenant:create', 'www', '--name', 'X', '--admin-email', 'a@x.test'], /"www" is reserved/],
    [['tenant:create', 'admin', '--name', 'X', '--admin-email', 'a@x.test'], /"admin" is reserved/],
    [['tenant:create', slug, '--name', 'X', '--admin-email', 'a@x.test'], /already taken/],
    [['tenant:create', uniqueSlug(), '--name', 'X', '--admin-email', 'not-an-email'], /admin_email must be an email address/],
    [['tenant:create', uniqueSlug(), '--name', 'X', '--admin-email', 'a@x.test', '--timezone', 'Mars/Base'], /not an IANA time zone/],
  ];
  for (const [args, message] of cases) {
    const res = await edify(args);
    t.is(res.code, 1, args.join(' '));
    t.regex(res.stderr, message);
    t.notRegex(res.stderr, /\n\s+at /, 'no stack trace');
  }
  const json = await edify(['tenant:create', 'www', '--name', 'X', '--admin-email', 'a@x.test', '--json']);
  t.is(json.code, 1);
  t.regex(json.stdout, /reserved/);
});

test('tenant:list, show, suspend and resume', async (t) => {
  const slug = uniqueSlug('elm');
  t.is((await edify(['tenant:create', slug, '--name', 'Elm School', '--admin-email', `a@${slug}.test`, '--json'])).code, 0);

  const list = await edify(['tenant:list', '--json']);
  t.is(list.code, 0);
  t.truthy(list.json.find((s: { slug: string }) => s.slug === slug));
  const human = await edify(['tenant:list']);
  t.regex(human.stdout, /SLUG\s+NAME\s+STATUS/);

  const show = await edify(['tenant:show', slug, '--json']);
  t.like(show.json, { slug, name: 'Elm School', status: 'active', people: { admin: 1, teacher: 0, student: 0 }, classes: 0 });

  const unconfirmed = await edify(['tenant:suspend', slug, '--reason', 'Unpaid invoice']);
  t.is(unconfirmed.code, 1, 'destructive commands need --yes when not interactive');
  t.regex(unconfirmed.stderr, /--yes/);

  const suspended = await edify(['tenant:suspend', slug, '--reason', 'Unpaid invoice', '--yes', '--json']);
  t.deepEqual(suspended.json, { slug, status: 'suspended', suspended_reason: 'Unpaid invoice' });
  const app = await startApp();
  const page = await app.request(slug, 'GET', '/');
  t.is(page.status, 403);
  t.regex(page.text, /Unpaid invoice/, 'the school’s front page says why');

  t.deepEqual((await edify(['tenant:resume', slug, '--json'])).json, { slug, status: 'active' });
  t.is((await app.request(slug, 'GET', '/')).status, 200);

  const missing = await edify(['tenant:show', 'no-such-school']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /"no-such-school" was not found/);
});

test('db:status reports every migration applied; db:rollback asks first', async (t) => {
  const status = await edify(['db:status', '--json']);
  t.is(status.code, 0, status.stderr);
  t.deepEqual(status.json.pending, []);
  t.true(status.json.applied.length >= 3);
  const migrate = await edify(['db:migrate', '--json']);
  t.deepEqual(migrate.json, { applied: [] });
  const rollback = await edify(['db:rollback']);
  t.is(rollback.code, 1);
  t.regex(rollback.stderr, /--yes/);
});

test('edify --help lists the commands', async (t) => {
  const help = await edify(['--help']);
  t.is(help.code, 0);
  for (const topic of ['tenant', 'db', 'serve']) t.regex(help.stdout, new RegExp(topic));
  const topic = await edify(['tenant', '--help']);
  for (const cmd of ['tenant:create', 'tenant:list', 'tenant:show', 'tenant:suspend', 'tenant:resume']) t.regex(topic.stdout, new RegExp(cmd));
});

test('tenant:configure sets seats, the 2FA policy and CORS origins through the same validation as the API', async (t) => {
  const slug = uniqueSlug('fir');
  t.is((await edify(['tenant:create', slug, '--name', 'Fir', '--admin-email', `a@${slug}.test`, '--json'])).code, 0);
  const set = await edify(['tenant:configure', slug, '--seats', '250', '--require-2fa', '--cors-origins', 'https://portal.fir.org', '--json']);
  t.is(set.code, 0, set.stderr);
  t.deepEqual(set.json, { slug, seat_limit: 250, require_two_factor: true, cors_origins: ['https://portal.fir.org'], color: null });
  const bad = await edify(['tenant:configure', slug, '--cors-origins', 'http://evil.example/path']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /cors_origins/);
  const unset = await edify(['tenant:configure', slug, '--no-seat-limit', '--no-require-2fa', '--json']);
  t.like(unset.json, { seat_limit: null, require_two_factor: false });
  t.is((await edify(['tenant:configure', slug])).code, 1, 'nothing to change');
});

test('users:sign-out and users:unlock act on one person at one school', async (t) => {
  const slug = uniqueSlug('yew');
  const created = await edify(['tenant:create', slug, '--name', 'Yew', '--admin-email', `a@${slug}.test`, '--json']);
  const app = await startApp();
  const login = await app.request(slug, 'POST', '/api/v1/auth/login', { body: { email: `a@${slug}.test`, password: created.json.admin_password } });
  t.is(login.status, 200);
  const out = await edify(['users:sign-out', slug, `a@${slug}.test`, '--yes', '--json']);
  t.deepEqual(out.json, { email: `a@${slug}.test`, sessions_ended: 1 });
  t.is((await app.request(slug, 'GET', '/api/v1/me', { token: login.body.access_token })).status, 401);
  const unknown = await edify(['users:unlock', slug, 'nobody@x.test']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /"nobody@x.test" at .* was not found/);
  t.deepEqual((await edify(['users:unlock', slug, `a@${slug}.test`, '--json'])).json, { email: `a@${slug}.test`, unlocked: true });
});

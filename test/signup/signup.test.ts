// Self-service signup on the platform host, email confirmation, and seats from the plan.
import test from 'ava';
import { testEnv } from '../helpers/env.ts';
import { createSchool, uniqueSlug } from '../helpers/factories.ts';
import { MAIL_DIR, startApp } from '../helpers/http.ts';
import { readMail, tokenFromMail, waitForMail } from '../helpers/mail.ts';

const form = (subdomain: string, extra: Record<string, unknown> = {}) => ({
  school_name: 'Lincoln Elementary',
  subdomain,
  admin_first_name: 'Lena',
  admin_last_name: 'Lincoln',
  email: `lena@${subdomain.replace(/^-+/, '')}.test`,
  password: 'a long school passphrase',
  timezone: 'America/Chicago',
  plan: 'starter',
  ...extra,
});

test('a school signs up, starts a trial on its plan, and its admin confirms their email before inviting', async (t) => {
  const app = await startApp();
  const slug = uniqueSlug('lincoln');
  const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(slug) });
  t.is(res.status, 201);
  t.regex(res.body.next, new RegExp(`^http://${slug}\\.localhost:\\d+$`));
  t.is(res.headers.location, res.body.next);
  const tenant = await testEnv().dbs.owner('tenants').where({ slug }).first();
  t.like(tenant, { billing_status: 'trialing', plan: 'starter', seat_limit: 150, timezone: 'America/Chicago' });
  t.true(new Date(tenant.trial_ends_at).getTime() > Date.now() + 13 * 86_400_000);

  const login = await app.request(slug, 'POST', '/api/v1/auth/login', { body: { email: `lena@${slug}.test`, password: 'a long school passphrase' } });
  t.is(login.status, 200);
  const token = login.body.access_token;
  const early = await app.request(slug, 'POST', '/api/v1/users/invitations', {
    token,
    body: { email: `t@${slug}.test`, first_name: 'T', last_name: 'T', role: 'teacher' },
  });
  t.is(early.status, 403);
  t.regex(early.body.detail, /Confirm your email address/);

  const [mail] = await waitForMail(MAIL_DIR, `lena@${slug}.test`);
  t.is(mail?.template, 'verify-email');
  const confirmed = await app.request(slug, 'POST', '/api/v1/auth/verify-email', { body: { token: tokenFromMail(mail) } });
  t.is(confirmed.status, 204);
  const later = await app.request(slug, 'POST', '/api/v1/users/invitations', {
    token,
    body: { email: `t@${slug}.test`, first_name: 'T', last_name: 'T', role: 'teacher' },
  });
  t.is(later.status, 201);
  t.is((await app.request(slug, 'POST', '/api/v1/auth/verify-email', { body: { token: tokenFromMail(mail) } })).status, 422, 'the link works once');
});

test('signup refuses reserved, taken, malformed and look-alike subdomains', async (t) => {
  const app = await startApp();
  const existing = await createSchool({ slug: uniqueSlug('oak') });
  const lookAlike = existing.slug.replace('oak', '0ak');
  const cases: [string, number, RegExp][] = [
    ['www', 422, /reserved/],
    ['admin', 422, /reserved/],
    [existing.slug, 409, /already taken/],
    [lookAlike, 409, /looks too much like/],
    [existing.slug.replace('-', ''), 409, /looks too much like/],
    ['-lincoln', 422, /3–63 characters/],
  ];
  for (const [subdomain, status, detail] of cases) {
    const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(subdomain) });
    t.is(res.status, status, subdomain);
    t.regex(res.body.detail, detail, subdomain);
  }
  t.is((await app.request(null, 'POST', '/api/v1/signup', { body: form(uniqueSlug('elm'), { plan: 'platinum' }) })).status, 422);
  t.is((await app.request(null, 'POST', '/api/v1/signup', { body: form(uniqueSlug('elm'), { password: 'password123' }) })).status, 422);
});

test('signup refuses look-alikes by Unicode TR39 confusables and the ASCII table (8/b, c/e, d/a, cl/d, rn/m, vv/w)', async (t) => {
  const app = await startApp();
  const beta = await createSchool({ slug: uniqueSlug('beta') });
  const alpha = await createSchool({ slug: uniqueSlug('alpha') });
  const mill = await createSchool({ slug: uniqueSlug('mill') });
  const lookAlikes = [
    beta.slug.replace('beta', '8eta'),
    beta.slug.replace('beta', 'bcta'),
    alpha.slug.replace('alpha', 'dlpha'),
    alpha.slug.replace('alpha', 'a1pha'),
    mill.slug.replace('mill', 'rnill'),
    mill.slug.replace('mill', 'rn1ll'),
  ];
  for (const subdomain of lookAlikes) {
    const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(subdomain) });
    t.is(res.status, 409, subdomain);
    t.regex(res.body.detail, /looks too much like an existing school/, subdomain);
  }
  t.is((await app.request(null, 'POST', '/api/v1/signup', { body: form(uniqueSlug('gamma')) })).status, 201, 'a different name is fine');
});

test('signup refuses infrastructure names and look-alikes of reserved names', async (t) => {
  const app = await startApp();
  // 19 requests: under the signup limit of 20 per address and hour.
  const reserved = ['mta-sts', 'autodiscover', 'autoconfig', 'webmail', 'smtp', 'imap', 'ftp', 'ns1', 'ns9', 'ns12', 'mail2'];
  const lookAlikes = ['w-w-w', 'adm1n', 'rnail', 'auto-discover', 'ss0', 'b1lling', 'statvs'];
  for (const subdomain of reserved) {
    const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(subdomain) });
    t.is(res.status, 422, subdomain);
    t.regex(res.body.detail, /is reserved/, subdomain);
  }
  for (const subdomain of lookAlikes) {
    const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(subdomain) });
    t.is(res.status, 422, subdomain);
    t.regex(res.body.detail, /looks too much like the reserved name/, subdomain);
  }
  const underscore = await app.request(null, 'POST', '/api/v1/signup', { body: form('_dmarc', { email: 'lena@dmarc.test' }) });
  t.is(underscore.status, 422);
  t.regex(underscore.body.detail, /3–63 characters/);
});

test('the confirmation email carries names, not messages: links, addresses and phone numbers are refused at signup', async (t) => {
  const app = await startApp();
  const refusedNames: [string, Record<string, string>][] = [
    ['school_name', { school_name: 'Your account is locked, visit evil.test' }],
    ['school_name', { school_name: 'Call 0800 123 4567 now' }],
    ['school_name', { school_name: 'Lincoln <b>Elementary</b>' }],
    ['school_name', { school_name: 'Lincoln\nElementary' }],
    ['admin_first_name', { admin_first_name: 'https://evil.test' }],
    ['admin_last_name', { admin_last_name: 'support@evil.test' }],
  ];
  for (const [field, extra] of refusedNames) {
    const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(uniqueSlug('name'), extra) });
    t.is(res.status, 422, JSON.stringify(extra));
    t.true(
      res.body.errors?.some((e: { field: string }) => e.field === field),
      JSON.stringify(res.body.errors),
    );
  }
  const slug = uniqueSlug('stmary');
  const ok = await app.request(null, 'POST', '/api/v1/signup', {
    body: form(slug, { school_name: "St. Mary's & P.S. 118 (École Saint-Jean)", admin_first_name: 'Zoë', admin_last_name: "O'Brien-Núñez" }),
  });
  t.is(ok.status, 201, JSON.stringify(ok.body));
});

test('the honeypot: a filled hidden field looks like success and creates nothing', async (t) => {
  const app = await startApp();
  const slug = uniqueSlug('bot');
  const res = await app.request(null, 'POST', '/api/v1/signup', { body: form(slug, { website: 'http://spam.example' }) });
  t.is(res.status, 201);
  t.is(await testEnv().dbs.owner('tenants').where({ slug }).first(), undefined);
  t.deepEqual(await readMail(MAIL_DIR, `lena@${slug}.test`), []);
});

test('signup is rate limited per IP', async (t) => {
  const app = await startApp();
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await app.request(null, 'POST', '/api/v1/signup', { body: form('www') })).status);
  t.deepEqual(statuses, [...Array(20).fill(422), 429]);
});

test('signup is only on the platform host', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  t.is((await app.request(school.slug, 'POST', '/api/v1/signup', { body: form(uniqueSlug('x')) })).status, 404);
});

test('seat limits apply to roster imports', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  await testEnv().dbs.owner('tenants').where({ id: school.tenant.id }).update({ seat_limit: 2 });
  const csv = ['email,first_name,last_name,role', 'a@x.test,A,A,student', 'b@x.test,B,B,student', 'c@x.test,C,C,teacher'].join('\n');
  const res = await app.request(school.slug, 'POST', '/api/v1/users/import', { token: school.admin.token, body: { csv } });
  t.is(res.status, 422);
  t.regex(res.body.row_errors[0].reason, /plan has 2 seats/);
});

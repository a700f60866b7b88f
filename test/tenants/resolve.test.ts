import test from 'ava';
import { hostOf, resolveHost } from '../../tenants/resolve.ts';
import { slugProblem } from '../../tenants/slug.ts';

const options = { baseDomain: 'edify.app', trustProxy: false };

test('school subdomains, the apex and foreign hosts', (t) => {
  t.deepEqual(resolveHost('lincoln.edify.app', options), { kind: 'tenant', slug: 'lincoln' });
  t.deepEqual(resolveHost('LINCOLN.Edify.App:443', options), { kind: 'tenant', slug: 'lincoln' });
  t.deepEqual(resolveHost('lincoln.edify.app.', options), { kind: 'tenant', slug: 'lincoln' });
  t.deepEqual(resolveHost('edify.app', options), { kind: 'platform' });
  t.deepEqual(resolveHost('www.edify.app', options), { kind: 'platform' });
  t.deepEqual(resolveHost('127.0.0.1:3000', options), { kind: 'platform' });
  t.deepEqual(resolveHost('a.b.edify.app', options), { kind: 'foreign' });
  t.deepEqual(resolveHost('edify.app.evil.com', options), { kind: 'foreign' });
  t.deepEqual(resolveHost('xedify.app', options), { kind: 'foreign' });
});

test('X-Forwarded-Host only when trusted, first hop first', (t) => {
  const headers = { host: 'internal:3000', 'x-forwarded-host': 'lincoln.edify.app, proxy.local' };
  t.is(hostOf(headers, false), 'internal:3000');
  t.is(hostOf(headers, true), 'lincoln.edify.app');
});

test('slug rules', (t) => {
  t.is(slugProblem('lincoln-elementary'), undefined);
  t.is(slugProblem('p3s'), undefined);
  t.truthy(slugProblem('ab'));
  t.truthy(slugProblem('-abc'));
  t.truthy(slugProblem('abc-'));
  t.truthy(slugProblem('ab--c'));
  t.truthy(slugProblem('Lincoln'));
  t.truthy(slugProblem('a'.repeat(64)));
  for (const reserved of ['www', 'api', 'app', 'admin', 'mail', 'status', 'docs']) t.regex(slugProblem(reserved) ?? '', /reserved/);
});

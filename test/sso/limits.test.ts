// Starting an SSO sign-in writes a row, so it is rate limited per address and per school, and the
// rows it leaves (and replay records) are pruned once expired.
import http from 'node:http';
import test from 'ava';
import Koa from 'koa';
import { createLimiterStore, LIMITS, rateLimit } from '../../api/http/rate-limit.ts';
import { createConnection } from '../../api/sso/connections.ts';
import { pruneSamlState } from '../../api/sso/prune.ts';
import { withTenant } from '../../tenants/session.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool, inSchool, type School } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';
import { idpMetadata, keyPair } from '../helpers/saml-idp.ts';

async function connectionOf(school: School): Promise<string> {
  const metadata = idpMetadata({ entityId: 'https://idp.district.test/saml', ssoUrl: 'https://idp.district.test/sso', certs: [keyPair('idp').cert] });
  return (await inSchool(school, (scope) => createConnection(scope, metadata, { name: 'District' }))).id;
}

const rows = (school: School, table: string) =>
  withTenant(testEnv().dbs.app, { id: school.tenant.id }, async (db) => Number((await db(table).count<{ count: string }[]>('* as count'))[0]?.count));

test('GET /auth/saml/:connection/login is limited per address: the 101st start in 15 minutes is 429 and writes nothing', async (t) => {
  const app = await startApp();
  const school = await createSchool();
  const id = await connectionOf(school);
  const statuses: number[] = [];
  for (let i = 0; i < LIMITS.samlLogin.max; i++) statuses.push((await app.request(school.slug, 'GET', `/auth/saml/${id}/login`)).status);
  t.deepEqual([...new Set(statuses)], [302]);
  const limited = await app.request(school.slug, 'GET', `/auth/saml/${id}/login`);
  t.is(limited.status, 429);
  t.is(limited.body.type, 'https://edify.app/problems/rate-limited');
  t.is(await rows(school, 'saml_requests'), LIMITS.samlLogin.max);
  // Another school behind the same address has its own budget.
  const other = await createSchool();
  t.is((await app.request(other.slug, 'GET', `/auth/saml/${await connectionOf(other)}/login`)).status, 302);
});

test('a whole-school limit counts every address together', async (t) => {
  const store = createLimiterStore(undefined);
  t.teardown(() => store.close());
  const koa = new Koa();
  koa.use(async (ctx, next) => {
    ctx.request.ip = ctx.get('x-test-address');
    (ctx.state as { host: unknown }).host = { kind: 'tenant', slug: ctx.get('x-test-school') };
    await next();
  });
  koa.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = (error as { status?: number }).status ?? 500;
    }
  });
  koa.use(rateLimit({ name: 'test-whole-school', max: 2, durationMs: 60_000, wholeSchool: true }, store) as Koa.Middleware);
  koa.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = http.createServer(koa.callback()).listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  const get = (address: string, school: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { 'x-test-address': address, 'x-test-school': school } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
  t.deepEqual([await get('10.0.0.1', 'a'), await get('10.0.0.2', 'a'), await get('10.0.0.3', 'a')], [200, 200, 429]);
  t.is(await get('10.0.0.3', 'b'), 200, 'another school is counted apart');
});

test('pruneSamlState deletes expired request ids and replay records, and keeps live ones', async (t) => {
  const school = await createSchool();
  const id = await connectionOf(school);
  const at = new Date('2026-11-26T12:00:00Z');
  const minutes = (n: number) => new Date(at.getTime() + n * 60_000);
  await inSchool(school, async (scope) => {
    await scope.db('saml_requests').insert([
      { tenant_id: school.tenant.id, connection_id: id, request_id: '_old', expires_at: minutes(-1) },
      { tenant_id: school.tenant.id, connection_id: id, request_id: '_live', expires_at: minutes(5) },
    ]);
    await scope.db('saml_replays').insert([
      { tenant_id: school.tenant.id, connection_id: id, assertion_id: '_old', expires_at: minutes(-1) },
      { tenant_id: school.tenant.id, connection_id: id, assertion_id: '_live', expires_at: minutes(5) },
    ]);
  });
  const pruned = await inSchool(school, (scope) => pruneSamlState({ ...scope, clock: () => at }));
  t.deepEqual(pruned, { requests: 1, replays: 1 });
  const left = await inSchool(school, async (scope) => ({
    requests: await scope.db('saml_requests').pluck('request_id'),
    replays: await scope.db('saml_replays').pluck('assertion_id'),
  }));
  t.deepEqual(left, { requests: ['_live'], replays: ['_live'] });
});

test('edify sso:prune prunes one school (or all) and reports the counts', async (t) => {
  const school = await createSchool();
  const id = await connectionOf(school);
  await inSchool(school, (scope) =>
    scope.db('saml_requests').insert({ tenant_id: school.tenant.id, connection_id: id, request_id: '_gone', expires_at: new Date(Date.now() - 60_000) }),
  );
  const res = await edify(['sso:prune', school.slug, '--json']);
  t.is(res.code, 0, res.stderr);
  t.deepEqual(res.json, { schools: 1, requests: 1, replays: 0 });
  t.is(await rows(school, 'saml_requests'), 0);
});

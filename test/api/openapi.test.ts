// The OpenAPI documents: one per kind of host, generated from the route declarations, saying what
// the server enforces (statuses, formats, at-least-one-field, form bodies, limits), with examples
// the server itself accepts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { allRoutes } from '../../api/app.ts';
import { errorStatuses, isApiRoute, operationIdOf } from '../../api/http/openapi.ts';
import type { AnyRoute } from '../../api/http/route.ts';
import { createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

const pathOf = (route: AnyRoute) => route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

async function documents() {
  const app = await startApp();
  const school = await createSchool();
  const tenant = await app.request(school.slug, 'GET', '/openapi.json');
  const platform = await app.request(null, 'GET', '/openapi.json');
  return { app, tenant: tenant.body, platform: platform.body, status: [tenant.status, platform.status] };
}

test('a school documents the school API and the apex the platform API; pages are not the API', async (t) => {
  const { tenant, platform, status, app } = await documents();
  t.deepEqual(status, [200, 200]);
  t.is(tenant.openapi, '3.1.0');
  for (const route of allRoutes()) {
    const inTenant = tenant.paths[pathOf(route)]?.[route.method];
    const inPlatform = platform.paths[pathOf(route)]?.[route.method];
    if (!isApiRoute(route)) {
      t.falsy(inTenant ?? inPlatform, `page ${route.method} ${route.path} is not in a document`);
    } else if (route.host === 'tenant') {
      t.truthy(inTenant, `${route.method} ${route.path} in the school document`);
      t.falsy(inPlatform, `${route.method} ${route.path} not in the platform document`);
    } else if (route.host === 'platform') {
      t.truthy(inPlatform, `${route.method} ${route.path} in the platform document`);
      t.falsy(inTenant, `${route.method} ${route.path} not in the school document`);
    } else {
      t.truthy(inTenant && inPlatform, `${route.method} ${route.path} on every host`);
    }
  }
  // Development servers say their port; the school is a variable of the host.
  t.is(tenant.servers[0].url, `http://{school}.localhost:${app.deps.config.port}`);
  t.is(platform.servers[0].url, `http://localhost:${app.deps.config.port}`);
  const create = tenant.paths['/api/v1/classes'].post;
  t.deepEqual(create.requestBody.content['application/json'].schema.required, ['name']);
  t.is(tenant.paths['/api/v1/classes'].get.parameters.find((p: { name: string }) => p.name === 'limit').schema.maximum, 100);
});

test('operation ids are unique and read as words, not paths', (t) => {
  const ids = new Map<string, string>();
  for (const route of allRoutes().filter(isApiRoute)) {
    const id = operationIdOf(route);
    t.regex(id, /^[a-z][A-Za-z0-9]*$/, `${route.method} ${route.path}`);
    t.notRegex(id, /V1|^(get|list|create|update|delete)Api/, `${route.method} ${route.path}: ${id}`);
    t.falsy(ids.get(id), `${id} used by ${ids.get(id)} and ${route.method} ${route.path}`);
    ids.set(id, `${route.method} ${route.path}`);
  }
  const byPath = (method: string, path: string) => operationIdOf(allRoutes().find((r) => r.method === method && r.path === path) as AnyRoute);
  t.is(byPath('get', '/api/v1/classes'), 'listClasses');
  t.is(byPath('post', '/api/v1/classes'), 'createClass');
  t.is(byPath('get', '/api/v1/classes/:id'), 'getClass');
  t.is(byPath('post', '/api/v1/auth/password-reset/confirm'), 'confirmAuthPasswordReset');
});

test('every operation lists the problems it can answer, with examples and Retry-After where it applies', async (t) => {
  const { tenant } = await documents();
  const classRead = tenant.paths['/api/v1/classes/{id}'].get.responses;
  for (const status of ['401', '403', '404', '429', '503']) t.truthy(classRead[status], `GET /classes/{id} answers ${status}`);
  const login = tenant.paths['/api/v1/auth/login'].post.responses;
  for (const status of ['400', '413', '415', '422', '429']) t.truthy(login[status], `POST /auth/login answers ${status}`);
  const problems = tenant.components.responses;
  t.truthy(problems.Problem429.headers['Retry-After']);
  t.is(problems.Problem422.content['application/problem+json'].example.type, 'https://edify.app/problems/validation-failed');
  // Fields that only some problems carry are in the schema.
  const problem = tenant.components.schemas.Problem.properties;
  t.truthy(problem.row_errors && problem.retry_after && problem.errors);
  // A route that is neither public nor validated still answers 401 and 404.
  for (const route of allRoutes().filter((r) => isApiRoute(r) && r.host === 'tenant' && r.access !== 'public')) {
    const statuses = errorStatuses(route);
    t.true(statuses.includes(401) && statuses.includes(404), `${route.method} ${route.path}`);
  }
});

test('the document states rules the server enforces: at least one field, formats, multiples, form bodies', async (t) => {
  const { tenant, app } = await documents();
  const patchClass = tenant.paths['/api/v1/classes/{id}'].patch.requestBody.content['application/json'].schema;
  t.is(patchClass.minProperties, 1);
  const homework = tenant.paths['/api/v1/classes/{id}/homework'].post.requestBody.content['application/json'].schema;
  t.is(homework.properties.points.anyOf.find((s: { type: string }) => s.type === 'number').multipleOf, 0.01);
  const acs = tenant.paths['/auth/saml/{connection}/acs'].post;
  t.truthy(acs.requestBody.content['application/x-www-form-urlencoded'], 'the SAML ACS takes a form');
  t.falsy(acs.requestBody.content['application/json']);
  const roster = tenant.paths['/api/v1/users/import'].post.requestBody.content['application/json'].schema;
  t.true(roster.properties.csv.maxLength < 1024 * 1024, 'the CSV fits in the body limit');
  t.truthy(tenant.components.securitySchemes.session && tenant.components.securitySchemes.csrf);
  // The server refuses what the document refuses.
  const school = await createSchool();
  const empty = await app.request(school.slug, 'PATCH', '/api/v1/classes/00000000-0000-4000-8000-000000000000', { token: school.admin.token, body: {} });
  t.true([404, 422].includes(empty.status));
});

test('every JSON request body example is accepted by the route’s own schema', async (t) => {
  const { tenant, platform } = await documents();
  for (const route of allRoutes().filter((r) => isApiRoute(r) && r.body && !r.form)) {
    const doc = route.host === 'platform' ? platform : tenant;
    const example = doc.paths[pathOf(route)][route.method].requestBody.content['application/json'].example;
    const result = route.body?.safeParse(example);
    t.true(result?.success, `${route.method} ${route.path}: ${JSON.stringify(example)} → ${result?.success ? '' : JSON.stringify(result?.error.issues)}`);
  }
});

test('plan fields list the plans this server offers, and the server refuses any other', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-plans-'));
  const file = path.join(dir, 'plans.json');
  const plans = [
    { id: 'solo', name: 'Solo', stripe_price_id: 'price_solo', seat_limit: 40, storage_gb: 5 },
    { id: 'campus', name: 'Campus', stripe_price_id: 'price_campus', seat_limit: null, storage_gb: 500 },
  ];
  writeFileSync(file, JSON.stringify(plans));
  const app = await startApp({ plansFile: file });
  const school = await createSchool();
  const tenant = (await app.request(school.slug, 'GET', '/openapi.json')).body;
  const platform = (await app.request(null, 'GET', '/openapi.json')).body;
  const checkout = tenant.paths['/api/v1/billing/checkout'].post.requestBody.content['application/json'].schema;
  t.deepEqual(checkout.properties.plan.enum, ['solo', 'campus']);
  t.false('x-edify-plan-id' in checkout.properties.plan, 'the marker is not part of the document');
  const signup = platform.paths['/api/v1/signup'].post.requestBody.content['application/json'].schema;
  t.deepEqual(signup.properties.plan.enum, ['solo', 'campus']);
  const refused = await app.request(school.slug, 'POST', '/api/v1/billing/checkout', { token: school.admin.token, body: { plan: 'school' } });
  t.is(refused.status, 422);
  t.like(refused.body.errors?.[0], { field: 'plan', message: 'must be one of solo, campus' });
});

// /metrics (api/http/metrics.ts): protected by METRICS_TOKEN on the main port (404 without one
// outside development), or served on the internal METRICS_PORT; counts requests by declared route
// (never the raw path), pools, job queues, webhook failures and rate-limit refusals.

import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import test from 'ava';
import type { Config } from '../../api/config.ts';
import { startMetricsServer } from '../../api/http/metrics.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool } from '../helpers/factories.ts';
import { type Client, startApp } from '../helpers/http.ts';

const TOKEN = randomBytes(32).toString('base64url');

function withObservability(changes: Partial<Config['observability']>, env?: Config['env']): Partial<Config> {
  const { config } = testEnv();
  return { ...(env ? { env } : {}), observability: { ...config.observability, ...changes } };
}

async function scrape(app: Client): Promise<string> {
  const res = await app.request(null, 'GET', '/metrics', { token: TOKEN });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text.slice(0, 200)}`);
  return res.text;
}

/** The value of one series, e.g. value(text, 'edify_http_requests_total', { route: '/healthz' }); 0 if absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

test('the token is required on the main port: absent or wrong is 401, right is 200 with Prometheus text', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const none = await app.request(null, 'GET', '/metrics');
  t.is(none.status, 401);
  t.is(none.headers['www-authenticate'], 'Bearer');
  t.is((await app.request(null, 'GET', '/metrics', { token: `${TOKEN}x` })).status, 401);
  t.is((await app.request(null, 'GET', '/metrics', { token: TOKEN.slice(0, -1) })).status, 401);
  t.is((await app.request(null, 'GET', '/metrics', { headers: { authorization: TOKEN } })).status, 401, 'the bare token without "Bearer"');
  const ok = await app.request(null, 'GET', '/metrics', { token: TOKEN });
  t.is(ok.status, 200);
  t.regex(String(ok.headers['content-type']), /^text\/plain/);
  t.regex(ok.text, /# TYPE edify_http_requests_total counter/);
  // A school's address serves it only with the token too.
  const school = await createSchool();
  t.is((await app.request(school.slug, 'GET', '/metrics')).status, 401);
  t.is((await app.request(school.slug, 'GET', '/metrics', { token: TOKEN })).status, 200);
});

test('without METRICS_TOKEN the main port does not serve metrics outside development (404 on every host), nor in development alongside METRICS_PORT', async (t) => {
  const app = await startApp(withObservability({ metricsToken: undefined }));
  t.is((await app.request(null, 'GET', '/metrics')).status, 404);
  const school = await createSchool();
  t.is((await app.request(school.slug, 'GET', '/metrics')).status, 404);
  const production = await startApp(withObservability({ metricsToken: undefined }, 'production'));
  t.is((await production.request(null, 'GET', '/metrics')).status, 404);
  const devWithPort = await startApp(withObservability({ metricsToken: undefined, metricsPort: 9 }, 'development'));
  t.is((await devWithPort.request(null, 'GET', '/metrics')).status, 404);
  const dev = await startApp(withObservability({ metricsToken: undefined }, 'development'));
  t.is((await dev.request(null, 'GET', '/metrics')).status, 200, 'a developer’s own machine (HOST is 127.0.0.1 there)');
});

test('request counts and latency go up by declared route and status', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const school = await createSchool();
  const before = await scrape(app);
  for (let i = 0; i < 3; i++) t.is((await app.request(null, 'GET', '/healthz')).status, 200);
  // Two different ids: one route label, the pattern.
  t.is((await app.request(school.slug, 'GET', `/api/v1/classes/${randomUUID()}`, { token: school.admin.token })).status, 404);
  t.is((await app.request(school.slug, 'GET', `/api/v1/classes/${randomUUID()}`, { token: school.admin.token })).status, 404);
  const after = await scrape(app);
  const healthz = { method: 'GET', route: '/healthz', status: '200' };
  t.is(value(after, 'edify_http_requests_total', healthz) - value(before, 'edify_http_requests_total', healthz), 3);
  t.is(value(after, 'edify_http_request_duration_seconds_count', healthz) - value(before, 'edify_http_request_duration_seconds_count', healthz), 3);
  t.true(value(after, 'edify_http_request_duration_seconds_bucket', { ...healthz, le: '+Inf' }) >= 3);
  const byId = { route: '/api/v1/classes/:id', status: '404' };
  t.is(value(after, 'edify_http_requests_total', byId) - value(before, 'edify_http_requests_total', byId), 2);
  t.false(after.includes(school.slug), 'no school in any label');
  // The tenant requests waited for (and got) app pool connections.
  t.true(value(after, 'edify_db_pool_acquire_seconds_count', { pool: 'app' }) > value(before, 'edify_db_pool_acquire_seconds_count', { pool: 'app' }));
  t.is(value(after, 'edify_db_pool_up', { pool: 'app' }), 1);
  t.true(value(after, 'edify_db_pool_max', { pool: 'app' }) > 0);
  t.regex(after, /edify_db_pool_connections\{pool="app",state="used"\}/);
  t.regex(after, /edify_db_pool_waiting\{pool="owner"\} \d+/);
});

test('unknown addresses share one route label: cardinality stays bounded whatever paths are asked for', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const before = await scrape(app);
  const paths = Array.from({ length: 25 }, () => `/no-such-${randomBytes(6).toString('hex')}?q=${randomBytes(4).toString('hex')}`);
  for (const path of paths) t.is((await app.request(null, 'GET', path)).status, 404);
  // Unknown methods too.
  t.is((await app.request(null, 'BREW', '/healthz')).status >= 400, true);
  const after = await scrape(app);
  for (const path of paths) t.false(after.includes(path.slice(1, 20)), `${path} appears in the metrics`);
  const unmatched = { method: 'GET', route: '(unmatched)', status: '404' };
  t.is(value(after, 'edify_http_requests_total', unmatched) - value(before, 'edify_http_requests_total', unmatched), 25);
  const series = (text: string) => new Set(text.split('\n').filter((l) => l.startsWith('edify_http_requests_total{'))).size;
  t.true(series(after) - series(before) <= 3, `new series: ${series(after) - series(before)}`);
  t.false(after.includes('BREW'));
});

test('rate-limit refusals are counted by limit, and the limiter’s Redis state is reported', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const school = await createSchool();
  const before = await scrape(app);
  const email = `nobody-${randomBytes(4).toString('hex')}@${school.slug}.test`;
  let limited = 0;
  for (let i = 0; i < 12; i++) {
    const res = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email, password: 'not the password' } });
    if (res.status === 429) limited++;
  }
  t.true(limited >= 1);
  const after = await scrape(app);
  t.is(value(after, 'edify_rate_limit_refusals_total', { limit: 'login' }) - value(before, 'edify_rate_limit_refusals_total', { limit: 'login' }), limited);
  // The test app counts in memory (no REDIS_URL): not connected to Redis, no fallback (nothing to fall back from).
  t.is(value(after, 'edify_rate_limit_redis_connected'), 0);
  t.is(value(after, 'edify_rate_limit_fallback_checks_total'), 0);
  t.regex(after, /edify_rate_limit_redis_outages_total 0/);
});

test('failed Stripe webhooks are counted by problem code; job queue depth is reported per queue and state', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const before = await scrape(app);
  const res = await app.request(null, 'POST', '/webhooks/stripe', {
    raw: '{"id":"evt_1"}',
    headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
  });
  t.true(res.status >= 400);
  const reason = String(res.body.type).split('/').pop() as string;
  const after = await scrape(app);
  t.is(value(after, 'edify_stripe_webhook_failures_total', { reason }) - value(before, 'edify_stripe_webhook_failures_total', { reason }), 1);
  for (const queue of ['email', 'email.dead', 'notice-published', 'tick', 'school-tick']) {
    for (const state of ['created', 'retry', 'active', 'failed'])
      t.regex(after, new RegExp(`edify_jobs\\{queue="${queue.replace('.', '\\.')}",state="${state}"\\} \\d+`));
  }
  t.regex(after, /# TYPE edify_job_failures_total counter/);
});

test('the internal metrics port serves /metrics and nothing else; with a token it asks for it there too', async (t) => {
  const app = await startApp(withObservability({ metricsToken: TOKEN }));
  const { config } = testEnv();
  const metrics = app.deps.metrics;
  if (!metrics) throw new Error('buildApp makes the metrics');
  const open = await startMetricsServer(
    metrics,
    { env: 'production', observability: { ...config.observability, metricsToken: undefined, metricsHost: '127.0.0.1' } },
    0,
  );
  t.teardown(() => open.close());
  const get = (port: number, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers }, (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        })
        .on('error', reject);
    });
  const served = await get(open.port, '/metrics');
  t.is(served.status, 200);
  t.regex(served.text, /edify_http_requests_total/);
  t.is((await get(open.port, '/healthz')).status, 404);
  t.is((await get(open.port, '/api/v1/classes')).status, 404);
  const guarded = await startMetricsServer(
    metrics,
    { env: 'production', observability: { ...config.observability, metricsToken: TOKEN, metricsHost: '127.0.0.1' } },
    0,
  );
  t.teardown(() => guarded.close());
  t.is((await get(guarded.port, '/metrics')).status, 401);
  t.is((await get(guarded.port, '/metrics', { authorization: `Bearer ${TOKEN}` })).status, 200);
});

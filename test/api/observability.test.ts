// Slow-request and slow-query logs (api/http/slow.ts, api/http/logger.ts) and the optional
// Sentry-compatible error hook (api/http/error-report.ts), against a local stand-in that speaks
// the envelope protocol. Thresholds of 0 make every request and query "slow": no timing involved.
import http from 'node:http';
import { Writable } from 'node:stream';
import test from 'ava';
import { pino } from 'pino';
import type { Config } from '../../api/config.ts';
import { connect } from '../../api/db/connection.ts';
import { createErrorReporter, type ErrorReporter, parseDsn, scrubMessage } from '../../api/http/error-report.ts';
import { sqlShape } from '../../api/http/slow.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool, PASSWORD } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function withObservability(changes: Partial<Config['observability']>): Partial<Config> {
  const { config } = testEnv();
  return { observability: { ...config.observability, ...changes } };
}

test('slow requests and slow queries are logged with the declared route and durations, never values, bodies or people', async (t) => {
  const { config } = testEnv();
  // Its own pool: the slow-query watcher is per pool (the first app's threshold and log apply).
  const pool = connect(config.appDatabaseUrl as string, 2);
  t.teardown(() => pool.destroy());
  const { log, lines } = captureLog();
  const app = await startApp(withObservability({ slowRequestMs: 0, slowQueryMs: 0 }), { appPool: pool, log });
  const school = await createSchool();
  const res = await app.request(school.slug, 'POST', '/api/v1/auth/login', { body: { email: school.admin.email, password: PASSWORD } });
  t.is(res.status, 200);
  const classes = await app.request(school.slug, 'GET', '/api/v1/classes?search=Secret%20Name', { token: school.admin.token });
  t.is(classes.status, 200);

  const slowRequests = lines.filter((l) => l.msg === 'slow request');
  const login = slowRequests.find((l) => l.route === '/api/v1/auth/login');
  t.truthy(login, JSON.stringify(slowRequests));
  t.like(login, { level: 40, method: 'POST', status: 200 });
  t.true(typeof login?.ms === 'number' && typeof login.db_ms === 'number' && typeof login.db_wait_ms === 'number');
  t.true(Number(login?.queries) > 0, 'the login’s knex queries are counted to it');
  t.truthy(login?.request_id);
  const slowQueries = lines.filter((l) => l.msg === 'slow query');
  t.true(slowQueries.some((l) => l.route === '/api/v1/auth/login' && l.pool === 'app' && typeof l.sql === 'string'));
  t.true(slowQueries.some((l) => l.route === '/api/v1/classes'));
  const text = JSON.stringify([...slowRequests, ...slowQueries]);
  for (const secret of [school.admin.email, PASSWORD, school.admin.token, 'Secret Name', 'Secret%20Name', school.slug]) {
    t.false(text.includes(secret), `${secret} appears in a slow log line`);
  }
});

test('the SQL shape in slow-query lines has no literals', (t) => {
  t.is(
    sqlShape(`select *  from users where email = 'ann@x.test' and n > 42 and id = $1 and t = 'it''s'`),
    `select * from users where email = '?' and n > ? and id = $1 and t = '?'`,
  );
});

test('error messages are scrubbed of SQL, quoted values, details and addresses', (t) => {
  t.is(
    scrubMessage(`insert into "users" ("email") values ($1) - duplicate key value violates unique constraint "users_tenant_email"`),
    'duplicate key value violates unique constraint "?"',
  );
  t.is(scrubMessage('Key (tenant_id, lower(email))=(1b2c, ann@x.test) already exists.'), 'Key (tenant_id, lower(email))=(?) already exists.');
  t.is(scrubMessage('could not mail ann.lee@school.example.org about 123456'), 'could not mail [email] about ?');
  t.deepEqual(parseDsn('https://pub123@errors.example.org/sub/42'), {
    envelopeUrl: 'https://errors.example.org/sub/api/42/envelope/',
    publicKey: 'pub123',
    dsn: 'https://pub123@errors.example.org/sub/42',
  });
});

type Envelope = { url: string; auth: string; header: Record<string, unknown>; item: Record<string, unknown>; event: Record<string, any>; raw: string };

async function envelopeStandIn(): Promise<{ port: number; received: Envelope[]; close: () => Promise<void> }> {
  const received: Envelope[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const [header, item, event] = raw.split('\n').filter(Boolean);
      received.push({
        url: req.url ?? '',
        auth: String(req.headers['x-sentry-auth']),
        header: JSON.parse(header ?? '{}'),
        item: JSON.parse(item ?? '{}'),
        event: JSON.parse(event ?? '{}'),
        raw,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('with SENTRY_DSN every 500 is posted as an envelope event, scrubbed of bodies, cookies and headers; 4xx are not reported', async (t) => {
  const standIn = await envelopeStandIn();
  t.teardown(() => standIn.close());
  let boom = false;
  const app = await startApp(
    {},
    {
      clock: () => {
        if (boom) throw new Error('clock broke while serving ann@example.org');
        return new Date();
      },
    },
  );
  const dsn = `http://publickey@127.0.0.1:${standIn.port}/7`;
  const reporter = createErrorReporter(dsn, { environment: 'test', log: { warn: () => {} } });
  const deliveries: Promise<void>[] = [];
  const recording: ErrorReporter = {
    stats: reporter.stats,
    report: (error, context) => {
      const delivery = reporter.report(error, context);
      deliveries.push(delivery);
      return delivery;
    },
  };
  app.deps.errorReporter = recording;
  const school = await createSchool();

  // A 4xx: nothing is reported.
  t.is((await app.request(school.slug, 'GET', '/api/v1/classes')).status, 401);
  t.is(deliveries.length, 0);

  boom = true;
  const res = await app.request(school.slug, 'POST', '/api/v1/auth/login', {
    body: { email: school.admin.email, password: PASSWORD },
    headers: { cookie: 'edify_session=cookie-value-123', 'x-custom': 'header-value-456' },
  });
  boom = false;
  t.is(res.status, 500);
  t.is(deliveries.length, 1);
  await Promise.all(deliveries);
  t.is(reporter.stats.sent, 1);
  t.is(standIn.received.length, 1);
  const [envelope] = standIn.received;
  if (!envelope) return;
  t.is(envelope.url, '/api/7/envelope/');
  t.regex(envelope.auth, /^Sentry sentry_version=7, sentry_key=publickey, sentry_client=edify\//);
  t.is(envelope.header.dsn, dsn);
  t.is(envelope.header.event_id, envelope.event.event_id);
  t.regex(String(envelope.event.event_id), /^[0-9a-f]{32}$/);
  t.deepEqual(envelope.item, { type: 'event' });
  t.is(envelope.event.level, 'error');
  t.is(envelope.event.environment, 'test');
  t.is(envelope.event.exception.values[0].type, 'Error');
  t.is(envelope.event.exception.values[0].value, 'clock broke while serving [email]');
  t.true(envelope.event.exception.values[0].stacktrace.frames.length > 0);
  t.deepEqual(envelope.event.request, { method: 'POST', url: '/api/v1/auth/login' });
  t.is(envelope.event.tags.request_id, res.body.request_id);
  for (const secret of [school.admin.email, PASSWORD, 'cookie-value-123', 'header-value-456', school.slug, 'ann@example.org']) {
    t.false(envelope.raw.includes(secret), `${secret} was sent to the error service`);
  }
});

test('an error service that is down or refuses costs the request nothing and is logged once', async (t) => {
  const warnings: string[] = [];
  // A port nobody listens on.
  const standIn = await envelopeStandIn();
  const port = standIn.port;
  await standIn.close();
  const reporter = createErrorReporter(`http://k@127.0.0.1:${port}/1`, { environment: 'test', log: { warn: (_f, m) => warnings.push(m) } });
  await reporter.report(new Error('first'), { method: 'GET', route: '/x', requestId: 'r1' });
  await reporter.report(new Error('second'), { method: 'GET', route: '/x', requestId: 'r2' });
  t.is(reporter.stats.failed, 2);
  t.deepEqual(warnings, ['could not send an error report']);
});

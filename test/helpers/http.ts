// An HTTP client for subdomains. Node's fetch replaces a Host header with the URL's host and
// Node cannot resolve *.localhost, so requests go to 127.0.0.1 with an explicit Host header.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { buildApp } from '../../api/app.ts';
import { type AppDeps, sessionPolicy } from '../../api/app-deps.ts';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import { tokenKeys } from '../../api/auth/tokens.ts';
import { loadPlans } from '../../api/billing/plans.ts';
import { createBilling } from '../../api/billing/stripe.ts';
import type { Config } from '../../api/config.ts';
import { createLogger } from '../../api/http/logger.ts';
import { createLimiterStore, type LimiterStore } from '../../api/http/rate-limit.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { testEnv, testTokenKeys } from './env.ts';
import { ensureTestWorker, testJobs } from './jobs.ts';
import { atTeardown } from './teardown.ts';

/** Where the test apps write email (no SMTP_URL); read with test/helpers/mail.ts. */
export const MAIL_DIR = path.join(os.tmpdir(), `edify-test-mail-${process.pid}`);

const servers: http.Server[] = [];
const limiters: LimiterStore[] = [];
atTeardown('test apps', async () => {
  // Event streams (GET /me/events) never end on their own: close every connection, not only idle ones.
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
  await Promise.all(limiters.map((l) => l.close()));
});

export type Response = { status: number; headers: http.IncomingHttpHeaders; body: any; text: string };

export type RequestOptions = {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** The Host header; by default `<school>.localhost` or `localhost` for the platform. */
  host?: string;
};

export type Client = {
  port: number;
  deps: AppDeps;
  request: (school: string | null, method: string, path: string, options?: RequestOptions) => Promise<Response>;
};

/** Starts the real app on a free port for this test file; stopped after the file's tests.
 * `worker: false`: jobs are queued but nothing in this process runs them (a file that inspects
 * what was queued before it is handled). */
export async function startApp(
  overrides: Partial<Config> = {},
  options: { clock?: () => Date; appPool?: Knex; readPool?: Knex; log?: Logger; worker?: boolean } = {},
): Promise<Client> {
  const { config, dbs } = testEnv();
  const merged = Object.freeze({ ...config, ...overrides });
  const keys = overrides.signingSecrets ? tokenKeys(merged.signingSecrets, merged.accessTokenTtlSeconds) : testTokenKeys();
  const log = options.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const limiter = createLimiterStore(merged.redisUrl, { timeoutMs: merged.redisTimeoutMs, log });
  limiters.push(limiter);
  const mailer = createMailer({ from: merged.mailFrom, mailDir: MAIL_DIR });
  const deps: AppDeps = {
    config: merged,
    // The read pool is the app pool unless a test gives one (a standby: test/db/read-pool.test.ts).
    dbs: { ...dbs, app: options.appPool ?? dbs.app, read: options.readPool ?? options.appPool ?? dbs.read },
    log,
    tokenKeys: keys,
    sessions: sessionPolicy(merged, keys),
    limiter,
    mailer,
    secretBox: createSecretBox(parseEncryptionKeys(merged.encryptionKeys)),
    clock: options.clock ?? (() => new Date()),
    billing: createBilling(merged),
    plans: loadPlans(merged.plansFile),
    jobs: await testJobs(),
  };
  if (options.worker ?? true) await ensureTestWorker(mailer);
  const server = buildApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, deps, request: (school, method, path, options) => send(port, merged.baseDomain, school, method, path, options) };
}

export function send(port: number, base: string, school: string | null, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    host: options.host ?? (school ? `${school}.${base}:${port}` : `${base}:${port}`),
    ...(payload !== undefined && options.raw === undefined ? { 'content-type': 'application/json' } : {}),
    ...(payload !== undefined ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (/json/.test(res.headers['content-type'] ?? '') && text) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

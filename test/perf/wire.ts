// Shared by the perf tests: an app pool that goes through the counting proxy, and the real app
// (as test/helpers/http.ts startApp builds it) on top of that pool.
import type http from 'node:http';
import test from 'ava';
import type { Knex } from 'knex';
import { buildApp } from '../../api/app.ts';
import { type AppDeps, sessionPolicy } from '../../api/app-deps.ts';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import { loadPlans } from '../../api/billing/plans.ts';
import { createBilling } from '../../api/billing/stripe.ts';
import { connect } from '../../api/db/connection.ts';
import { createLogger } from '../../api/http/logger.ts';
import { createLimiterStore } from '../../api/http/rate-limit.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { type PgProxy, startPgProxy } from '../../bench/lib/pg-proxy.ts';
import { testEnv, testTokenKeys } from '../helpers/env.ts';
import { MAIL_DIR } from '../helpers/http.ts';

const cleanup: (() => Promise<void>)[] = [];
test.after.always(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** An app pool of one connection that goes through a counting proxy. */
export async function proxiedPool(): Promise<{ proxy: PgProxy; app: Knex }> {
  const { dbs } = testEnv();
  const url = new URL(dbs.appUrl);
  const proxy = await startPgProxy({ host: url.hostname, port: Number(url.port || 5432) });
  const app = connect(proxy.urlFor(dbs.appUrl), 1);
  cleanup.push(
    () => proxy.close(),
    () => app.destroy(),
  );
  return { proxy, app };
}

/** Waits until the pool's connection has nothing queued or unanswered: everything it sent has
 * been answered and read back through the proxy. */
export async function quiet(app: Knex): Promise<void> {
  const connection = await app.client.acquireConnection();
  try {
    for (let turn = 0; turn < 100_000; turn++) {
      if (connection.readyForQuery && !connection._activeQuery && connection._queryQueue.length === 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('the connection never went quiet');
  } finally {
    app.client.releaseConnection(connection);
  }
}

/** The pooled connection's transaction status as PostgreSQL last reported it: I(dle), T, E. */
export async function transactionStatus(app: Knex): Promise<string> {
  const connection = await app.client.acquireConnection();
  try {
    return connection.getTransactionStatus();
  } finally {
    app.client.releaseConnection(connection);
  }
}

/** The real app (as test/helpers/http.ts startApp builds it) with the proxied app pool. */
export async function serve(app: Knex): Promise<number> {
  const { config, dbs } = testEnv();
  const keys = testTokenKeys();
  const limiter = createLimiterStore(config.redisUrl);
  const deps: AppDeps = {
    config,
    // Without a read replica the heavy reads share the request's pool: the proxied one here too.
    dbs: { ...dbs, app, read: dbs.read === undefined || dbs.read === dbs.app ? app : dbs.read },
    log: createLogger('silent'),
    tokenKeys: keys,
    sessions: sessionPolicy(config, keys),
    limiter,
    mailer: createMailer({ from: config.mailFrom, mailDir: MAIL_DIR }),
    secretBox: createSecretBox(parseEncryptionKeys(config.encryptionKeys)),
    clock: () => new Date(),
    billing: createBilling(config),
    plans: loadPlans(config.plansFile),
  };
  const server: http.Server = buildApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanup.push(
    () => new Promise<void>((resolve) => server.close(() => resolve())),
    () => limiter.close(),
  );
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

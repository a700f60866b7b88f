// `npm test`: gives the suite a real, throwaway PostgreSQL database and runs AVA against it.
//  - DATABASE_URL set: a fresh database on that server (owner credentials), dropped afterwards.
//  - unset: the embedded PostgreSQL under .edify/pg-test, started here and stopped afterwards.
// Migrations run once here; test files then create their own schools (factories), so they run in
// parallel without truncating anything. Extra arguments go to AVA (`npm test -- test/api`).
// EDIFY_TEST_PGBOUNCER=1: the app pool (APP_DATABASE_URL) goes through a private pgbouncer in
// transaction mode whose pool is smaller than the app's (test/helpers/pgbouncer.ts); the owner
// pool (migrations, factories) stays direct. .ci/run runs the isolation and permission tests so.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { appUrlFrom, connect, ensureDatabase, withDatabaseName } from '../api/db/connection.ts';
import { type DatabaseServer, startEmbeddedServer } from '../api/db/embedded-server.ts';
import { migrateLatest } from '../api/db/migrate.ts';
import { type Pgbouncer, startPgbouncer } from './helpers/pgbouncer.ts';
import { ensureSystemPackages } from './system-packages.ts';

const root = path.resolve(import.meta.dirname, '..');
const appPassword = process.env.EDIFY_APP_DB_PASSWORD ?? 'edify_app_local';

ensureSystemPackages();

let server: DatabaseServer | undefined;
let serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  process.stderr.write('Starting the embedded PostgreSQL for tests (DATABASE_URL is not set)…\n');
  server = await startEmbeddedServer(path.join(root, '.edify', 'pg-test'));
  serverUrl = server.url;
}
const name = `edify_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const ownerUrl = await ensureDatabase(serverUrl, name);
const appUrl = process.env.APP_DATABASE_URL ? withDatabaseName(process.env.APP_DATABASE_URL, name) : appUrlFrom(ownerUrl, appPassword);

let exitCode = 1;
let pgbouncer: Pgbouncer | undefined;
try {
  const owner = connect(ownerUrl, 1);
  try {
    await migrateLatest(owner, appUrl);
  } finally {
    await owner.destroy();
  }
  let testAppUrl = appUrl;
  if (process.env.EDIFY_TEST_PGBOUNCER === '1') {
    const app = new URL(appUrl);
    // Each test worker's app pool has 5 connections (test/helpers/env.ts): 4 server connections
    // are shared by all of them. The queue wait is long enough for a loaded machine; production
    // sets a short one (docs/deployment.md).
    pgbouncer = await startPgbouncer({
      serverUrl: ownerUrl,
      users: [{ name: decodeURIComponent(app.username), password: decodeURIComponent(app.password) }],
      poolSize: 4,
      queryWaitTimeoutSeconds: 60,
    });
    testAppUrl = pgbouncer.via(appUrl);
    process.stderr.write(`The app pool goes through pgbouncer (transaction mode, 4 server connections) on port ${pgbouncer.port}.\n`);
  }
  const ava = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.js');
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [ava, ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: ownerUrl,
        APP_DATABASE_URL: testAppUrl,
        // The app role straight to the server, for tests that need a never-used server connection.
        EDIFY_TEST_APP_DIRECT_URL: appUrl,
        EDIFY_SECRET: randomBytes(32).toString('base64url'),
        EDIFY_ENCRYPTION_KEY: `test:${randomBytes(32).toString('base64')}`,
        EDIFY_SECRET_PREVIOUS: '',
        EDIFY_DATA_DIR: path.join(root, '.edify', 'test-data'),
      },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await pgbouncer?.stop();
  await dropDatabase(serverUrl, name);
  await server?.stop();
}
process.exit(exitCode);

async function dropDatabase(url: string, database: string): Promise<void> {
  const admin = connect(url, 1);
  try {
    await admin.raw('drop database if exists ?? with (force)', [database]);
  } catch (error) {
    process.stderr.write(`Could not drop the test database ${database}: ${String(error)}\n`);
  } finally {
    await admin.destroy();
  }
}

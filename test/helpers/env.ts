// One set of pools per AVA worker, on the throwaway database test/run.ts made.
import { tokenKeys } from '../../api/auth/tokens.ts';
import { type Config, loadConfig } from '../../api/config.ts';
import { connect, type Databases } from '../../api/db/connection.ts';
import { atTeardown } from './teardown.ts';

let shared: { config: Config; dbs: Databases } | undefined;

// Closed after the test file (test/helpers/teardown.ts runs cleanups last-registered first).
atTeardown('database pools', () => shared?.dbs.close());

export function testEnv(): { config: Config; dbs: Databases } {
  if (shared) return shared;
  const config = loadConfig();
  if (!config.databaseUrl || !config.appDatabaseUrl || !config.databaseUrl.includes('edify_test_')) {
    throw new Error('Run the tests with `npm test`: it prepares a throwaway database.');
  }
  const owner = connect(config.databaseUrl, 3);
  // The same bounded waits as production (api/db/connection.ts openDatabases).
  // Behind pgbouncer (EDIFY_TEST_PGBOUNCER) requests wait in its queue while holding a client
  // connection, so the app pool's own acquire wait grows with the load of the other test files.
  const acquireTimeoutMs = process.env.EDIFY_TEST_PGBOUNCER === '1' ? 60_000 : undefined;
  const app = connect(config.appDatabaseUrl, 5, { sessionLimits: config.sessionLimits, ...(acquireTimeoutMs ? { acquireTimeoutMs } : {}) });
  const dbs: Databases = {
    owner,
    app,
    read: app,
    ownerUrl: config.databaseUrl,
    appUrl: config.appDatabaseUrl,
    readUrl: config.appDatabaseUrl,
    close: async () => {
      await Promise.all([owner.destroy(), app.destroy()]);
    },
  };
  shared = { config, dbs };
  return shared;
}

export function testTokenKeys() {
  const { config } = testEnv();
  return tokenKeys(config.signingSecrets, config.accessTokenTtlSeconds);
}

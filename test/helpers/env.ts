// One set of pools per AVA worker, on the throwaway database test/run.ts made.
import test from 'ava';
import { tokenKeys } from '../../api/auth/tokens.ts';
import { type Config, loadConfig } from '../../api/config.ts';
import { connect, type Databases } from '../../api/db/connection.ts';

let shared: { config: Config; dbs: Databases } | undefined;

// Hooks must be declared when the test file loads, not from inside a test.
test.after.always(() => shared?.dbs.close());

export function testEnv(): { config: Config; dbs: Databases } {
  if (shared) return shared;
  const config = loadConfig();
  if (!config.databaseUrl || !config.appDatabaseUrl || !config.databaseUrl.includes('edify_test_')) {
    throw new Error('Run the tests with `npm test`: it prepares a throwaway database.');
  }
  const owner = connect(config.databaseUrl, 3);
  const app = connect(config.appDatabaseUrl, 5);
  const dbs: Databases = {
    owner,
    app,
    ownerUrl: config.databaseUrl,
    appUrl: config.appDatabaseUrl,
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

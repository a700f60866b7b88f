// The two connection pools and where their URLs come from.
//  - owner: DATABASE_URL. Runs migrations and the platform scope (tenants/session.ts withPlatform).
//  - app:   APP_DATABASE_URL, or DATABASE_URL with the edify_app role swapped in. Serves requests
//           and jobs; not a superuser, not an owner, no BYPASSRLS, so row-level security holds.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { APP_ROLE } from '../../tenants/schema.ts';
import type { Config } from '../config.ts';
import { type DatabaseServer, startEmbeddedServer } from './embedded-server.ts';

export type Databases = {
  owner: Knex;
  app: Knex;
  ownerUrl: string;
  appUrl: string;
  close: () => Promise<void>;
};

// A `date` column is a calendar day, not an instant: keep it as 'YYYY-MM-DD' instead of letting
// pg turn it into a Date at the server's local midnight.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export async function openDatabases(config: Config, options: { log?: (line: string) => void; appPoolMax?: number } = {}): Promise<Databases> {
  let server: DatabaseServer | undefined;
  let ownerUrl = config.databaseUrl;
  if (!ownerUrl) {
    server = await startEmbeddedServer(`${config.dataDir}/pg`, options.log);
    ownerUrl = await ensureDatabase(server.url, 'edify');
  }
  const appUrl = config.appDatabaseUrl ?? appUrlFrom(ownerUrl, config.appDbPassword);
  const owner = connect(ownerUrl, 2);
  const app = connect(appUrl, options.appPoolMax ?? config.poolMax);
  let closed = false;
  return {
    owner,
    app,
    ownerUrl,
    appUrl,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([owner.destroy(), app.destroy()]);
      await server?.stop();
    },
  };
}

/** `acquireTimeoutMs`: how long a request waits for a free connection before it is answered 503
 * (api/errors.ts maps knex's timeout). */
export function connect(url: string, max: number, options: { acquireTimeoutMs?: number } = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'edify' },
    pool: { min: 0, max, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10_000,
  });
}

export function appUrlFrom(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates the database if it is missing (the embedded cluster starts with only `postgres`). */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = connect(serverUrl, 1);
  try {
    const found = await admin.raw('select 1 from pg_database where datname = ?', [name]);
    if (found.rows.length === 0) {
      try {
        await admin.raw('create database ??', [name]);
      } catch (error) {
        // Two processes raced to create it; the other one won.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await admin.destroy();
  }
  return withDatabaseName(serverUrl, name);
}

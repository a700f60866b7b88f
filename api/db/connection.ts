// The two connection pools and where their URLs come from.
//  - owner: DATABASE_URL. Runs migrations and the platform scope (tenants/session.ts withPlatform).
//  - app:   APP_DATABASE_URL, or DATABASE_URL with the edify_app role swapped in. Serves requests
//           and jobs; not a superuser, not an owner, no BYPASSRLS, so row-level security holds.
//  - read:  READ_DATABASE_URL (edify_app on a streaming standby) for heavy reads (api/db/read.ts);
//           the app pool itself when unset.
// Tenant sessions on the app and read pools carry the configured statement and lock timeouts.
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { APP_ROLE } from '../../tenants/schema.ts';
import { limitSessions, type SessionLimits } from '../../tenants/session.ts';
import type { Config } from '../config.ts';
import { databaseUnavailable, FROM_DATABASE, isConnectionError } from '../errors.ts';
import { type DatabaseServer, startEmbeddedServer } from './embedded-server.ts';

export type Databases = {
  owner: Knex;
  app: Knex;
  /** Heavy reads in read-only tenant sessions (api/db/read.ts): a standby's pool; `app` when
   * READ_DATABASE_URL is unset (or missing here: then the app pool is used). */
  read?: Knex;
  ownerUrl: string;
  appUrl: string;
  readUrl?: string;
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
  const app = connect(appUrl, options.appPoolMax ?? config.poolMax, { sessionLimits: config.sessionLimits });
  const read = config.readDatabaseUrl ? connect(config.readDatabaseUrl, options.appPoolMax ?? config.poolMax, { sessionLimits: config.sessionLimits }) : app;
  let closed = false;
  return {
    owner,
    app,
    read,
    ownerUrl,
    appUrl,
    readUrl: config.readDatabaseUrl ?? appUrl,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([owner.destroy(), app.destroy(), ...(read !== app ? [read.destroy()] : [])]);
      await server?.stop();
    },
  };
}

/** `acquireTimeoutMs`: how long a request waits for a free connection before it is answered 503
 * (api/errors.ts maps knex's timeout). A server that does not answer a connection attempt within
 * `connectTimeoutMs` counts as unreachable. `sessionLimits`: the bounded wait of every tenant
 * session on this pool (tenants/session.ts). */
export function connect(url: string, max: number, options: { acquireTimeoutMs?: number; connectTimeoutMs?: number; sessionLimits?: SessionLimits } = {}): Knex {
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 10_000;
  const db = knexFactory({
    client: 'pg',
    connection: {
      connectionString: url,
      application_name: 'edify',
      connectionTimeoutMillis: options.connectTimeoutMs ?? Math.min(5_000, acquireTimeoutMs),
    },
    pool: { min: 0, max, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: acquireTimeoutMs,
    log: KNEX_LOG,
  });
  watchReachability(db);
  if (options.sessionLimits) limitSessions(db, options.sessionLimits);
  return db;
}

/** knex prints every failed connection attempt with its stack ("Acquire connection error") on
 * stderr, outside the JSON log, once per attempt during an outage. The same error reaches the
 * caller, which answers 503 database-unavailable (a request) or says what is wrong (the CLI,
 * `describeDatabaseFailure`): that line is dropped; knex's other warnings stay, on one line. */
const KNEX_LOG = {
  warn: (message: string) => {
    if (!message.startsWith('Acquire connection error')) process.emitWarning(String(message).split('\n')[0] ?? '', 'KnexWarning');
  },
  error: (message: string) => process.emitWarning(String(message).split('\n')[0] ?? '', 'KnexError'),
  deprecate: (method: string, alternative: string) => process.emitWarning(`${method} is deprecated; use ${alternative}`, 'DeprecationWarning'),
  debug: () => {},
};

/** What an operator should do about a database that cannot be used at all (the CLI's message,
 * instead of a driver's stack): a missing database, a refused sign-in, a server that cannot be
 * reached. Undefined for any other error. Never includes a password. */
export function describeDatabaseFailure(error: unknown): string | undefined {
  const e = ((error as { nativeError?: unknown })?.nativeError ?? error) as { code?: unknown; message?: unknown; cause?: { message?: unknown } } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.code === '3D000') return `PostgreSQL answered: ${message}. Create it (createdb), or point DATABASE_URL at one that exists.`;
  if (e?.code === '28P01' || e?.code === '28000') {
    return `PostgreSQL refused the sign-in: ${message}. Check the user and password in DATABASE_URL (and APP_DATABASE_URL).`;
  }
  if (isConnectionError(error)) {
    const cause = typeof e?.cause?.message === 'string' ? e.cause.message : message;
    return `PostgreSQL cannot be reached (${cause || 'no answer'}). Is it running, and are the host and port in DATABASE_URL right?`;
  }
  return undefined;
}

export type Reachability = { down: boolean; since: Date | undefined };
const reachability = new WeakMap<Knex, Reachability>();

/** Whether the pool's last attempt to connect failed (and none has succeeded since). */
export const reachabilityOf = (db: Knex): Reachability => reachability.get(db) ?? { down: false, since: undefined };

type Pool = {
  on: (event: 'createSuccess' | 'createFail', listener: (id: number, value: unknown) => void) => void;
  numPendingCreates: () => number;
};

// A lost database (a restart, a failover, the network) answers 503 database-unavailable, quickly:
//  - every socket error that reaches knex from a database connection is marked as such
//    (api/errors.ts FROM_DATABASE), so the same codes from Stripe or S3 are not taken for it;
//  - every pool acquire goes through one wrapper that turns a failed connection attempt into the
//    503 at once, and, while the server is known to be away, answers at once when another
//    request's connection attempt is already on its way, instead of queueing every request in the
//    pool for the acquire timeout. One attempt at a time keeps probing, so the pool comes back on
//    its own within one attempt of the server's return (tarn's createSuccess clears the state).
function watchReachability(db: Knex): void {
  const client = db.client as { pool?: Pool; acquireConnection: () => Promise<unknown> };
  const pool = client.pool;
  if (!pool) return;
  const state: Reachability & { lastError: unknown } = { down: false, since: undefined, lastError: undefined };
  reachability.set(db, state);
  const markDown = (error: unknown) => {
    if (!state.down) state.since = new Date();
    state.down = true;
    state.lastError = error;
  };
  pool.on('createSuccess', () => {
    state.down = false;
    state.since = undefined;
  });
  pool.on('createFail', (_id, error) => {
    if (isConnectionError(markFromDatabase(error))) markDown(error);
  });
  db.on('query-error', (error: unknown) => {
    markFromDatabase(error);
  });
  const acquire = client.acquireConnection.bind(client);
  client.acquireConnection = async () => {
    if (state.down && pool.numPendingCreates() > 0) throw databaseUnavailable(state.lastError);
    try {
      return await acquire();
    } catch (error) {
      if (isConnectionError(markFromDatabase(error))) {
        markDown(error);
        throw databaseUnavailable(error);
      }
      throw error;
    }
  };
}

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function markFromDatabase(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && SOCKET_ERRORS.has(code)) (error as { [FROM_DATABASE]?: boolean })[FROM_DATABASE] = true;
  return error;
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

// A private pgbouncer (Debian's, 1.18) in transaction mode in front of a PostgreSQL server: the
// scale-out path of docs/deployment.md, proved by running tests through it (test/run.ts with
// EDIFY_TEST_PGBOUNCER=1, and test/faults/pgbouncer.test.ts). It never touches a system pgbouncer:
// its own config, port and directory, removed when stopped. No AVA import: test/run.ts uses it too.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../api/db/embedded-server.ts';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export type Pgbouncer = {
  port: number;
  /** `url` with pgbouncer's host and port in place of the server's (same user, password, database). */
  via: (url: string) => string;
  stop: () => Promise<void>;
};

export type PgbouncerOptions = {
  /** Any URL on the server (its host and port are used; every database is reachable through it). */
  serverUrl: string;
  /** The users clients log in as, with their passwords (pgbouncer logs in to the server with them). */
  users: { name: string; password: string }[];
  /** Server connections per (database, user): keep it smaller than the app's pool. */
  poolSize: number;
  /** Seconds a client may wait in pgbouncer's queue for a server connection (0: forever). */
  queryWaitTimeoutSeconds: number;
};

export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  const server = new URL(options.serverUrl);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-pgbouncer-'));
  // pgbouncer will not run as root: it switches to the postgres OS user (-u), which must read these.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  writeFileSync(path.join(dir, 'users.txt'), options.users.map((u) => `${quote(u.name)} ${quote(u.password)}\n`).join(''), { mode: 0o644 });
  const config = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || '5432'}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // md5 from clients; with plain-text passwords in auth_file pgbouncer can answer the server's
    // md5 or SCRAM challenge as that user.
    'auth_type = md5',
    `auth_file = ${path.join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize}`,
    'min_pool_size = 0',
    'reserve_pool_size = 0',
    'max_client_conn = 500',
    `query_wait_timeout = ${options.queryWaitTimeoutSeconds}`,
    // pg sends it at startup; pgbouncer would refuse the connection otherwise.
    'ignore_startup_parameters = extra_float_digits,options',
    'server_reset_query =',
    'log_connections = 0',
    'log_disconnections = 0',
    `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(ini, config, { mode: 0o644 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
  const child: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`listening on 127.0.0.1:${port}`)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`pgbouncer exited (${code}): ${output.slice(-600)}`)));
    child.once('error', reject);
  });
  // Keep draining its log so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  let stopped = false;
  return {
    port,
    via: (url: string) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        // SIGTERM is pgbouncer 1.18's immediate shutdown (SIGINT would wait for clients to leave).
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

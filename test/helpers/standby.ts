// A real streaming standby of the test database's PostgreSQL server, for READ_DATABASE_URL tests
// (api/db/read.ts): `pg_basebackup -R` into a temporary directory, started with pg_ctl on a free
// port (as the postgres OS user when the tests run as root), removed after the test file. It needs
// the server's own major version of the client tools (/usr/lib/postgresql/<major>/bin): on the
// machine's PostgreSQL 15 it works; on the embedded server (PostgreSQL 18, no pg_basebackup) it
// reports why it cannot, and the test is skipped.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Knex } from 'knex';
import { freePort } from '../../api/db/embedded-server.ts';

const cleanups: (() => void)[] = [];
test.after.always(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

export type Standby = {
  port: number;
  /** `url` with the standby's host and port (same user, password, database). */
  via: (url: string) => string;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp: () => Promise<void>;
};

const asRoot = process.getuid?.() === 0;

function run(command: string, args: string[], env: Record<string, string> = {}): { ok: boolean; output: string } {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** Why a standby cannot be made of this server, or undefined when it can. */
export async function standbyUnavailable(owner: Knex): Promise<string | undefined> {
  const major = Math.floor(Number((await owner.raw('show server_version_num')).rows[0].server_version_num) / 10_000);
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (!existsSync(`${bin}/pg_basebackup`) || !existsSync(`${bin}/pg_ctl`))
    return `no PostgreSQL ${major} client tools in ${bin} (the embedded server has none)`;
  return undefined;
}

/** Makes and starts a standby of the server `owner` (a superuser pool) is connected to. */
export async function startStandby(owner: Knex, ownerUrl: string): Promise<Standby> {
  const why = await standbyUnavailable(owner);
  if (why) throw new Error(`Cannot make a standby: ${why}`);
  const major = Math.floor(Number((await owner.raw('show server_version_num')).rows[0].server_version_num) / 10_000);
  const bin = `/usr/lib/postgresql/${major}/bin`;
  const primary = new URL(ownerUrl);
  await allowReplication(owner, primary.hostname);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-standby-'));
  chmodSync(dir, 0o755);
  if (asRoot) spawnSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  cleanups.push(() => {
    if (existsSync(path.join(data, 'postmaster.pid'))) run(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });
  const env: Record<string, string> = primary.password ? { PGPASSWORD: decodeURIComponent(primary.password) } : {};
  const basebackup = () =>
    run(
      `${bin}/pg_basebackup`,
      ['-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username), '-D', data, '-R', '-X', 'stream', '-c', 'fast'],
      env,
    );
  let backup = basebackup();
  // A pg_hba.conf line just added is in force once the server has reloaded (a signal, not a reply).
  for (let i = 0; i < 50 && !backup.ok && backup.output.includes('pg_hba.conf'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    backup = basebackup();
  }
  if (!backup.ok) throw new Error(`pg_basebackup failed: ${backup.output}`);
  // A hot standby needs at least the primary's values of these.
  const same = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];
  const values: string[] = [];
  for (const name of same) values.push(`${name} = ${(await owner.raw(`show ${name}`)).rows[0][name]}`);
  const port = await freePort();
  // Debian keeps the configuration outside the data directory: the copy has none of its own.
  writeFileSync(
    path.join(data, 'postgresql.conf'),
    [`port = ${port}`, "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''", 'hot_standby = on', 'shared_buffers = 32MB', ...values, ''].join('\n'),
  );
  writeFileSync(path.join(data, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  writeFileSync(path.join(data, 'pg_ident.conf'), '');
  if (asRoot) spawnSync('chown', ['-R', 'postgres', data]);
  const started = run(`${bin}/pg_ctl`, ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  if (!started.ok) throw new Error(`the standby did not start: ${started.output}\n${readLog(dir)}`);
  const standby: Standby = {
    port,
    via: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    caughtUp: async () => {
      const { default: knexFactory } = await import('knex');
      const lsn = (await owner.raw('select pg_current_wal_lsn()::text as lsn')).rows[0].lsn as string;
      const probe = knexFactory({ client: 'pg', connection: standby.via(ownerUrl), pool: { min: 0, max: 1 } });
      try {
        for (let i = 0; i < 600; i++) {
          const { rows } = await probe.raw('select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn() >= ?::pg_lsn as caught_up', [lsn]);
          if (!rows[0].standby) throw new Error('the standby is not in recovery');
          if (rows[0].caught_up) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`the standby did not replay up to ${lsn} within 30 s`);
      } finally {
        await probe.destroy();
      }
    },
  };
  await standby.caughtUp();
  return standby;
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'log'), 'utf8').slice(-1000);
  } catch {
    return '';
  }
}

/** pg_basebackup needs a `replication` line in pg_hba.conf (`all` does not cover it). A machine
 * whose local server has none (this one's trusts 127.0.0.1 for `all` only) gets one for 127.0.0.1,
 * the same trust it already gives every local connection, and a reload. */
async function allowReplication(owner: Knex, host: string): Promise<void> {
  if (host !== '127.0.0.1' && host !== 'localhost') return;
  const rules = (await owner.raw(`select count(*)::int as n from pg_hba_file_rules where 'replication' = any(database) and type = 'host'`)).rows[0].n;
  if (rules > 0) return;
  const file = (await owner.raw('show hba_file')).rows[0].hba_file as string;
  if (!existsSync(file)) return;
  const current = readFileSync(file, 'utf8');
  process.stderr.write(`test/helpers/standby.ts: adding "host replication all 127.0.0.1/32 trust" to ${file} for pg_basebackup\n`);
  writeFileSync(
    file,
    `${current.trimEnd()}\n# Added by Edify's tests (test/helpers/standby.ts): pg_basebackup of this local server.\nhost replication all 127.0.0.1/32 trust\n`,
  );
  await owner.raw('select pg_reload_conf()');
}

// `npx node bench/backup-memory.ts [rows]` with DATABASE_URL pointing at a PostgreSQL server
// (owner credentials): makes a scratch database, one school with `rows` audit rows (default
// 1,000,000, set-based SQL), backs it up with api/backup/service.ts and prints the process's
// resident memory before, at its peak and after, plus the backup's throughput as a ratio to
// `pg_dump --data-only` of the same table in the same run (when a pg_dump matching the server is
// on PATH). Memory stays flat when nothing holds a table: the peak grows by stream buffers, not
// by the school's size. Not a test: no assertion, numbers for docs/operations.md.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBackup } from '../api/backup/service.ts';
import { appUrlFrom, connect, ensureDatabase, withDatabaseName } from '../api/db/connection.ts';
import { migrateLatest } from '../api/db/migrate.ts';
import { createTenant } from '../api/platform/provision.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const server = process.env.DATABASE_URL;
if (!server) throw new Error('Set DATABASE_URL to a PostgreSQL server (owner credentials).');
const name = `edify_bench_backup_${randomBytes(3).toString('hex')}`;
const ownerUrl = await ensureDatabase(server, name);
const owner = connect(ownerUrl, 2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'edify-backup-bench-'));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
try {
  await migrateLatest(owner, appUrlFrom(ownerUrl, 'edify_app_local'));
  const { tenant } = await createTenant(
    owner,
    { slug: 'bench-backup', name: 'Bench', admin: { email: 'a@bench.test', password: 'correct horse battery' } },
    { label: 'bench' },
  );
  await owner.transaction(async (db) => {
    await db.raw("select set_config('app.tenant_id', ?, true)", [tenant.id]);
    await db.raw(
      `insert into audit_events (tenant_id, actor_type, actor_label, action, target_type, target_id, details)
       select ?, 'operator', 'bench', 'bench.row', 'row', g::text, jsonb_build_object('n', g, 'note', repeat('x', 40))
         from generate_series(1, ?) g`,
      [tenant.id, rows],
    );
  });
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 20);
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const made = await createBackup({ ownerUrl, slug: tenant.slug, dir });
  const backupMs = performance.now() - started;
  clearInterval(timer);
  sample();
  console.log(`backup: ${made.rows} rows, ${mb(made.bytes)} archive in ${(backupMs / 1000).toFixed(1)} s`);
  console.log(`rss before ${mb(before)}, peak ${mb(peak)} (+${mb(peak - before)}), after ${mb(process.memoryUsage().rss)}`);
  try {
    const out = path.join(dir, 'pg_dump.sql.gz');
    const t0 = performance.now();
    await promisify(execFile)('sh', ['-c', `pg_dump --data-only -t public.audit_events --dbname "$1" | gzip > "$2"`, 'sh', ownerUrl, out]);
    const dumpMs = performance.now() - t0;
    console.log(
      `pg_dump --data-only audit_events | gzip: ${mb(statSync(out).size)} in ${(dumpMs / 1000).toFixed(1)} s; backup takes ${(backupMs / dumpMs).toFixed(2)}× pg_dump's time`,
    );
  } catch (error) {
    console.log(`pg_dump not compared: ${String((error as Error).message).split('\n')[0]}`);
  }
} finally {
  await owner.destroy();
  const admin = connect(withDatabaseName(server, 'postgres'), 1);
  await admin.raw('drop database if exists ?? with (force)', [name]);
  await admin.destroy();
  rmSync(dir, { recursive: true, force: true });
}

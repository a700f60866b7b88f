// P8: what grows with the number of schools besides requests. (a) A new migration applied to a
// database of many schools and to one of few schools holding the same total rows; (b) creating a
// school against a one-row insert transaction into a school's table.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashPassword } from '../../api/auth/password.ts';
import { createTenant } from '../../api/platform/provision.ts';
import { withTenant } from '../../tenants/session.ts';

// The representative new migration: a column with a default and an index on the biggest school
// table (enrollments). The column is metadata only since PostgreSQL 11; the index reads every
// row, which is where a migration's time goes when it grows with data. Applied and rolled back
// through knex's migrator (lock table, transaction, bookkeeping: what `edify db:migrate` runs),
// from a source of its own with its own bookkeeping table so the app's list stays untouched.
const SCRATCH = '29991231000000_bench-scratch.ts';
const scratch = {
  up: async (knex: Knex) => {
    await knex.raw(`alter table enrollments add column bench_note text not null default 'none'`);
    await knex.raw('create index enrollments_bench_note on enrollments (tenant_id, bench_note)');
  },
  down: async (knex: Knex) => {
    await knex.raw('drop index enrollments_bench_note');
    await knex.raw('alter table enrollments drop column bench_note');
  },
};
const config: Knex.MigratorConfig = {
  tableName: 'bench_migrations',
  migrationSource: {
    getMigrations: async () => [SCRATCH],
    getMigrationName: (name: string) => name,
    getMigration: async () => scratch,
  },
};

export type MigrationTimes = { up: number[]; down: number[] };

/** Applies and rolls back the scratch migration `rounds` times on each database, alternated
 * (up A, up B, down A, down B, ...); milliseconds. */
export async function timeMigration(dbs: Record<string, Knex>, rounds: number, log: (line: string) => void): Promise<Record<string, MigrationTimes>> {
  const times: Record<string, MigrationTimes> = {};
  for (const [name, db] of Object.entries(dbs)) {
    await db.migrate.list(config); // creates the bookkeeping tables: not part of a migration
    await db.raw('analyze enrollments');
    times[name] = { up: [], down: [] };
  }
  const timed = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  for (let round = 1; round <= rounds; round++) {
    for (const [name, db] of Object.entries(dbs)) times[name]?.up.push(await timed(() => db.migrate.latest(config)));
    for (const [name, db] of Object.entries(dbs)) times[name]?.down.push(await timed(() => db.migrate.rollback(config)));
    log(`P8 migration round ${round}/${rounds} done`);
  }
  return times;
}

// Letters only, none a skeleton maps or merges (i→l, rn→m, vv→w), so random slugs never collide.
const SAFE = 'abcdefghjkpqstxyz';
const safeLetters = (n: number) => Array.from(randomBytes(n), (b) => SAFE[b % SAFE.length]).join('');

export type CreationTimes = { createTenant: number[]; insert: number[]; hashPassword: number[] };

/** `createTenant` (owner pool, as `edify tenant:create` runs it) ÷ a one-row insert transaction
 * into a school's table (app pool, as a request's write), alternated; milliseconds. The admin's
 * password hash (scrypt) is timed on its own too: it is most of a school's creation. */
export async function timeSchoolCreation(owner: Knex, app: Knex, existingSlug: string, rounds: number): Promise<CreationTimes> {
  const times: CreationTimes = { createTenant: [], insert: [], hashPassword: [] };
  const insertOne = () =>
    withTenant(app, { slug: existingSlug }, (db, tenant) =>
      db('classes').insert({ tenant_id: tenant.id, name: 'P8 class', subject: 'Bench', join_code: randomBytes(4).toString('hex').slice(0, 7).toUpperCase() }),
    );
  const create = () => {
    const slug = `fresh-${safeLetters(10)}`;
    return createTenant(
      owner,
      { slug, name: 'P8 School', admin: { email: `admin@${slug}.test`, password: randomBytes(18).toString('base64url') } },
      { label: 'bench' },
    );
  };
  // Warm both pools and code paths: the first of each is not what is being measured.
  await create();
  await insertOne();
  const timed = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  for (let round = 0; round < rounds; round++) {
    times.createTenant.push(await timed(create));
    times.insert.push(await timed(insertOne));
    times.hashPassword.push(await timed(() => hashPassword(randomBytes(18).toString('base64url'))));
  }
  return times;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// Runs the knex migrations in migrations/ (TypeScript files run directly by Node). A small
// migration source replaces knex's file loader so that .ts migrations load the same way under
// every runner, and so the list of expected migrations is known for /readyz.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const DIRECTORY = fileURLToPath(new URL('../../migrations/', import.meta.url));
const FILE = /^\d{14}_[a-z0-9-]+\.ts$/;

/** Values migrations need from the running configuration (the app role's password). */
export const migrationContext = { appRolePassword: 'edify_app_local' };

export function migrationNames(): string[] {
  return readdirSync(DIRECTORY)
    .filter((f) => FILE.test(f))
    .sort();
}

type Migration = { up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void> };

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => migrationNames(),
  getMigrationName: (name) => name,
  getMigration: async (name) => (await import(pathToFileURL(path.join(DIRECTORY, name)).href)) as Migration,
};

function options(): Knex.MigratorConfig {
  return { migrationSource: source, tableName: 'knex_migrations' };
}

export function appRolePasswordFrom(appUrl: string): string {
  return decodeURIComponent(new URL(appUrl).password) || migrationContext.appRolePassword;
}

export async function migrateLatest(owner: Knex, appUrl: string): Promise<string[]> {
  migrationContext.appRolePassword = appRolePasswordFrom(appUrl);
  const [, applied] = (await owner.migrate.latest(options())) as [number, string[]];
  return applied;
}

export async function migrateRollback(owner: Knex, all = false): Promise<string[]> {
  const [, undone] = (await owner.migrate.rollback(options(), all)) as [number, string[]];
  return undone;
}

export type MigrationStatus = { applied: string[]; pending: string[] };

export async function migrationStatus(owner: Knex): Promise<MigrationStatus> {
  const [completed, pending] = (await owner.migrate.list(options())) as [unknown[], unknown[]];
  return { applied: completed.map(nameOf), pending: pending.map(nameOf) };
}

// knex reports completed migrations as { name } and pending ones as the source's own values.
function nameOf(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  const e = entry as { name?: string; file?: string };
  return e.name ?? e.file ?? String(entry);
}

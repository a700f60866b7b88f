// The end of a school's life with us: a portable export (for a school that leaves or asks for its
// data) and deletion (rows in every tenant table, stored files, the Stripe subscription), each
// recorded in the platform audit. Tables come from the catalog (api/backup/catalog.ts), never
// from a hand-kept list, so a table a later migration adds is exported and deleted too.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import pg, { escapeIdentifier, escapeLiteral } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { isUuid } from '../../tenants/session.ts';
import { type PlatformActor, platformAudit } from '../audit/platform.ts';
import { NOT_RESTORED, schemaVersion, type TenantTable, tenantTables } from '../backup/catalog.ts';
import type { Billing } from '../billing/stripe.ts';
import { AppError, notFound } from '../errors.ts';
import type { Storage } from '../files/storage.ts';
import { holdDeletedSlug } from './renames.ts';

type Row = Record<string, unknown> & { id: string; slug: string; name: string };

/** Columns an export leaves out: secrets and one-way hashes mean nothing outside Edify and must
 * not travel (password hashes, token and cookie hashes, sealed TOTP and SSO secrets). */
export const REDACTED_COLUMN = /(^|_)(hash|sealed|secret)$|password/;

function schoolLiteral(id: string): string {
  if (!isUuid(id)) throw new Error('not a uuid');
  return escapeLiteral(id);
}

export type ExportResult = {
  dir: string;
  school: { id: string; slug: string; name: string };
  tables: { name: string; rows: number }[];
  files: { exported: number; missing: number };
};

/** Writes `<out>/<slug>-export-<time>/`: README.md, manifest.json, data/<table>.csv and .json
 * (one object per line inside an array), files/<id>/<name>. One consistent snapshot; streamed,
 * so memory stays flat however large the school. */
export async function exportTenant(options: {
  owner: Knex;
  ownerUrl: string;
  slug: string;
  out: string;
  storage: Storage;
  actor: PlatformActor;
  now?: Date;
  onProgress?: (message: string) => void;
}): Promise<ExportResult> {
  const client = new pg.Client({ connectionString: options.ownerUrl, application_name: 'edify tenant:export' });
  await client.connect();
  let dir: string | undefined;
  try {
    await client.query('begin isolation level repeatable read read only');
    const { rows: found } = await client.query<Row>('select * from tenants where slug = $1', [options.slug.toLowerCase()]);
    const tenant = found[0];
    if (!tenant) throw notFound(`The school "${options.slug}"`);
    await client.query("select set_config('app.tenant_id', $1, true)", [tenant.id]);
    const createdAt = (options.now ?? new Date()).toISOString();
    dir = path.join(path.resolve(options.out), `${tenant.slug}-export-${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
    await mkdir(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
    const tables = (await tenantTables(client)).filter((t) => !NOT_RESTORED.has(t.name));
    const where = `tenant_id = ${schoolLiteral(tenant.id)}`;
    const listed: { name: string; rows: number; columns: string[]; left_out: string[]; csv: string; json: string; sha256: { csv: string; json: string } }[] =
      [];
    for (const table of tables) {
      const columns = table.columns.filter((c) => c !== 'tenant_id' && !REDACTED_COLUMN.test(c));
      const leftOut = table.columns.filter((c) => c !== 'tenant_id' && REDACTED_COLUMN.test(c));
      const select = `select ${columns.map(escapeIdentifier).join(', ')} from public.${escapeIdentifier(table.name)} where ${where} order by ${orderOf(table)}`;
      const csv = await copyToFile(client, `copy (${select}) to stdout with (format csv, header true)`, path.join(dir, 'data', `${table.name}.csv`));
      const json = await jsonToFile(client, select, path.join(dir, 'data', `${table.name}.json`));
      listed.push({
        name: table.name,
        rows: json.rows,
        columns,
        left_out: leftOut,
        csv: `data/${table.name}.csv`,
        json: `data/${table.name}.json`,
        sha256: { csv: csv.sha256, json: json.sha256 },
      });
      options.onProgress?.(`${table.name}: ${json.rows} rows`);
    }
    const { rows: files } = await client.query<{ id: string; name: string; content_type: string; size_bytes: string; sha256: string; storage_key: string }>(
      `select id, name, content_type, size_bytes, sha256, storage_key from files where ${where} and status in ('clean', 'unscanned') order by created_at, id`,
    );
    const version = await schemaVersion(client);
    await client.query('commit');
    const exported: { id: string; name: string; content_type: string; size_bytes: number; sha256: string; path: string | null }[] = [];
    let missing = 0;
    for (const file of files) {
      const relative = `files/${file.id}/${safeName(file.name)}`;
      try {
        await mkdir(path.join(dir, 'files', file.id), { recursive: true });
        await pipeline(await options.storage.get(file.storage_key), createWriteStream(path.join(dir, relative), { mode: 0o600 }));
        exported.push({
          id: file.id,
          name: file.name,
          content_type: file.content_type,
          size_bytes: Number(file.size_bytes),
          sha256: file.sha256,
          path: relative,
        });
      } catch {
        missing++;
        exported.push({ id: file.id, name: file.name, content_type: file.content_type, size_bytes: Number(file.size_bytes), sha256: file.sha256, path: null });
      }
    }
    if (files.length) options.onProgress?.(`files: ${files.length - missing} exported${missing ? `, ${missing} missing from storage` : ''}`);
    const school = { id: tenant.id, slug: tenant.slug, name: tenant.name };
    const manifest = {
      format: 'edify-export/1',
      school: { ...school, timezone: tenant.timezone, settings: tenant.settings, created_at: tenant.created_at },
      exported_at: createdAt,
      schema_version: version,
      tables: listed,
      files: exported,
      left_out: {
        tables: [...NOT_RESTORED].sort(),
        why: 'Sign-in sessions and one-time tokens, and columns holding password hashes, token hashes and sealed secrets, mean nothing outside Edify and must not travel.',
      },
    };
    await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await writeFile(path.join(dir, 'README.md'), readme(school, createdAt, listed, exported.length, missing), { mode: 0o600 });
    await platformAudit(options.owner, options.actor, 'tenant.exported', school, {
      tables: listed.length,
      rows: listed.reduce((n, t) => n + t.rows, 0),
      files: exported.length - missing,
    });
    return { dir, school, tables: listed.map((t) => ({ name: t.name, rows: t.rows })), files: { exported: exported.length - missing, missing } };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await client.end();
  }
}

function orderOf(table: TenantTable): string {
  return table.columns.includes('id') ? 'id' : '1';
}

function safeName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[/\\]/g, '_')
    .replace(/\p{Cc}/gu, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  return cleaned || 'file';
}

async function copyToFile(client: pg.Client, sql: string, file: string): Promise<{ sha256: string }> {
  const hash = createHash('sha256');
  const stream = client.query(copyTo(sql));
  stream.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(stream, createWriteStream(file, { mode: 0o600 }));
  return { sha256: hash.digest('hex') };
}

/** JSON: `[`, one object per line, `]`. COPY's text format doubles every backslash of the JSON
 * (the only character it escapes in JSON text, which has no raw control characters). */
async function jsonToFile(client: pg.Client, select: string, file: string): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  const out = createWriteStream(file, { mode: 0o600 });
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      hash.update(text);
      out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  const stream = client.query(copyTo(`copy (select row_to_json(r)::text from (${select}) r) to stdout`));
  let rows = 0;
  await write('[');
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    await write(`${rows === 0 ? '\n' : ',\n'}${line.replaceAll('\\\\', '\\')}`);
    rows++;
  }
  await write(rows === 0 ? ']\n' : '\n]\n');
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { rows, sha256: hash.digest('hex') };
}

function readme(
  school: { slug: string; name: string },
  at: string,
  tables: { name: string; rows: number; left_out: string[] }[],
  files: number,
  missing: number,
): string {
  const lines = [
    `# ${school.name}: data export`,
    '',
    `Exported from Edify (${school.slug}) at ${at}, from one consistent snapshot.`,
    '',
    '- `manifest.json`: the school, every table with its columns, row count and SHA-256 of each file, and every uploaded file.',
    '- `data/<table>.csv`: one file per kind of record, with a header row (RFC 4180; UTF-8).',
    '- `data/<table>.json`: the same rows as JSON objects, one per line, inside an array.',
    '- `files/<file id>/<name>`: uploaded files; `data/files.csv` says which record each is attached to (`attached_kind`, `attached_id`).',
    '',
    'Records refer to each other by id: `class_id` is an `id` in `classes`, `user_id` (and `uploaded_by`, `author_id`, ...) an `id` in `users`.',
    'Times are UTC (ISO 8601). Left out: sign-in sessions, one-time tokens, password and token hashes, sealed secrets.',
    '',
    '| table | rows |',
    '|---|---:|',
    ...tables.map((t) => `| ${t.name} | ${t.rows} |`),
    '',
    `${files - missing} file(s)${missing ? `; ${missing} listed in the manifest could not be read from storage (path null)` : ''}.`,
    '',
  ];
  return lines.join('\n');
}

export type DeleteResult = {
  school: { id: string; slug: string; name: string };
  rows: Record<string, number>;
  files: { removed: number; failed: number };
  subscription: 'canceled' | 'none';
  /** Until when nobody else may take the subdomain (only a restore of this school's backup may). */
  subdomain_held_until: string;
};

/** Deletes a school: cancels its Stripe subscription first (a failure there changes nothing),
 * then every row of every tenant table and the school itself in one transaction with its platform
 * audit record, then its stored files. `backup` names the final backup, for the record. */
export async function deleteTenant(
  owner: Knex,
  slug: string,
  actor: PlatformActor,
  options: { storage: Storage; billing: Billing | undefined; backup?: string | undefined },
): Promise<DeleteResult> {
  const tenant = (await owner('tenants').where({ slug: slug.toLowerCase() }).first()) as
    | (Row & { stripe_subscription_id: string | null; billing_status: string })
    | undefined;
  if (!tenant) throw notFound(`The school "${slug}"`);
  let subscription: DeleteResult['subscription'] = 'none';
  if (tenant.stripe_subscription_id && !['canceled', 'incomplete_expired'].includes(tenant.billing_status)) {
    if (!options.billing) {
      throw new AppError(
        'unavailable',
        `The school has a Stripe subscription (${tenant.stripe_subscription_id}) and billing is not set up here (STRIPE_SECRET_KEY): cancel it in Stripe first, or set the key. Nothing was deleted.`,
      );
    }
    const billing = options.billing;
    const sub = tenant.stripe_subscription_id;
    await billing.call((stripe) => stripe.subscriptions.cancel(sub, {}, { idempotencyKey: `edify-delete-${tenant.id}` }));
    subscription = 'canceled';
  }
  const school = { id: tenant.id, slug: tenant.slug, name: tenant.name };
  const { rows, keys, heldUntil } = await owner.transaction(async (db) => {
    const locked = await db('tenants').where({ id: tenant.id }).forUpdate().first('id');
    if (!locked) throw notFound(`The school "${slug}"`);
    // The owner is bound by RLS too (FORCE): enter the school, then delete children first.
    await db.raw("select set_config('app.tenant_id', ?, true)", [tenant.id]);
    const client = { query: (sql: string) => db.raw(sql) } as unknown as pg.ClientBase;
    const tables = await tenantTables(client);
    const keys: string[] = await db('files').where({ tenant_id: tenant.id }).pluck('storage_key');
    const counts: Record<string, number> = {};
    for (const table of [...tables].reverse()) {
      const deleted = await db.raw(`delete from public.${escapeIdentifier(table.name)} where tenant_id = ${schoolLiteral(tenant.id)}`);
      if (deleted.rowCount) counts[table.name] = deleted.rowCount;
    }
    await db('tenants').where({ id: tenant.id }).delete();
    // Its subdomain stays held (and its old ones, whose rows remain): see holdDeletedSlug.
    const heldUntil = await holdDeletedSlug(db, tenant.id, tenant.slug);
    await platformAudit(db, actor, 'tenant.deleted', school, {
      held_until: heldUntil.toISOString(),
      rows: Object.values(counts).reduce((n, c) => n + c, 0),
      files: keys.length,
      subscription,
      ...(tenant.stripe_subscription_id ? { stripe_subscription_id: tenant.stripe_subscription_id } : {}),
      final_backup: options.backup ?? null,
    });
    return { rows: counts, keys, heldUntil };
  });
  let removed = 0;
  let failed = 0;
  for (const key of keys) {
    try {
      await options.storage.remove(key);
      removed++;
    } catch {
      failed++;
    }
  }
  return { school, rows, files: { removed, failed }, subscription, subdomain_held_until: heldUntil.toISOString() };
}

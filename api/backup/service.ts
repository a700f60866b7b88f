// Per-school backup, verify, restore and list (docs/operations.md, "Backups"). pg_dump cannot
// dump one school (no row filter, and it turns row security off), so a school's rows leave and
// come back through COPY, one snapshot and one transaction at a time. Raw pg clients on the
// owner connection: COPY streams need the client itself, and the whole run is one transaction.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pg, { escapeIdentifier, escapeLiteral } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { slugProblem, slugSkeleton } from '../../tenants/slug.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import { ArchiveWriter, backupError, type Header, type KeySource, type Manifest, type PartEnd, type PartStart, readFrames, readHeader } from './archive.ts';
import { NOT_RESTORED, schemaVersion, tenantTables } from './catalog.ts';

export const BACKUP_EXTENSION = '.edifybak';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOOL_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export type Progress = (message: string) => void;
type Tenant = Record<string, unknown> & { id: string; slug: string; name: string };

/** A uuid as an SQL literal, for statements that cannot take bind parameters (COPY). */
function uuidLiteral(id: string): string {
  if (!UUID.test(id)) throw new Error('not a uuid');
  return escapeLiteral(id);
}

async function connect(ownerUrl: string, purpose: 'create' | 'restore'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: `edify backup:${purpose}` });
  await client.connect();
  return client;
}

export type BackupResult = { file: string; school: Header['school']; tables: number; rows: number; bytes: number; encrypted: boolean };

/** One school's rows, from one REPEATABLE READ snapshot, into `<dir>/<slug>-<time>.edifybak`. */
export async function createBackup(options: {
  ownerUrl: string;
  slug: string;
  dir: string;
  key?: KeySource;
  now?: Date;
  onProgress?: Progress;
}): Promise<BackupResult> {
  const client = await connect(options.ownerUrl, 'create');
  let writer: ArchiveWriter | undefined;
  try {
    await client.query('begin isolation level repeatable read read only');
    const { rows: found } = await client.query<Tenant>('select * from tenants where slug = $1', [options.slug.toLowerCase()]);
    const tenant = found[0];
    if (!tenant) throw notFound(`The school "${options.slug}"`);
    // The owner is subject to RLS (FORCE): enter the school; the WHERE below also filters, so a
    // superuser (who ignores policies) gets the same rows.
    await client.query("select set_config('app.tenant_id', $1, true)", [tenant.id]);
    const tables = await tenantTables(client);
    const version = await schemaVersion(client);
    const createdAt = (options.now ?? new Date()).toISOString();
    const school = { id: tenant.id, slug: tenant.slug, name: tenant.name };
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const file = path.join(options.dir, `${tenant.slug}-${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}${BACKUP_EXTENSION}`);
    writer = new ArchiveWriter(file, { school, schema_version: version, created_at: createdAt }, options.key);
    const parts: Manifest['parts'] = [];
    let totalRows = 0;
    for (const table of tables) {
      const part: PartStart = { name: table.name, kind: 'table', table: table.name, columns: table.columns };
      await writer.begin(part);
      const hash = createHash('sha256');
      let rows = 0;
      let bytes = 0;
      const columns = table.columns.map(escapeIdentifier).join(', ');
      const sql = `copy (select ${columns} from public.${escapeIdentifier(table.name)} where tenant_id = ${uuidLiteral(tenant.id)}) to stdout`;
      const stream = client.query(copyTo(sql));
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        // COPY's text format escapes newlines inside values: one newline per row.
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
        await writer.data(chunk);
      }
      const end: PartEnd = { rows, bytes, sha256: hash.digest('hex') };
      await writer.end(end);
      parts.push({ ...part, ...end });
      totalRows += rows;
      options.onProgress?.(`${table.name}: ${rows} rows`);
    }
    await client.query('commit');
    const { stripe_customer_id: _c, stripe_subscription_id: _s, ...tenantRow } = tenant;
    await writer.finish({
      format: 1,
      schema_version: version,
      school,
      tenant: tenantRow,
      created_at: createdAt,
      tool_version: TOOL_VERSION,
      files: 'referenced',
      parts,
    });
    const bytes = (await stat(file)).size;
    return { file, school, tables: parts.length, rows: totalRows, bytes, encrypted: Boolean(options.key) };
  } catch (error) {
    await writer?.abort();
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export type VerifyResult = {
  file: string;
  school: Header['school'];
  created_at: string;
  schema_version: string;
  tool_version: string;
  encrypted: boolean;
  tables: number;
  rows: number;
};

/** Reads the whole archive: decryption, gzip, every part's SHA-256 and row count, the manifest.
 * Touches no database. */
export async function verifyBackup(file: string, key: KeySource | undefined): Promise<VerifyResult> {
  const { header } = await readHeader(file);
  const seen: (PartStart & PartEnd)[] = [];
  let manifest: Manifest | undefined;
  for await (const part of readParts(file, key, async () => undefined)) {
    if ('manifest' in part) manifest = part.manifest;
    else seen.push(part);
  }
  if (!manifest) throw backupError('The backup is damaged: no manifest.');
  return {
    file,
    school: manifest.school,
    created_at: manifest.created_at,
    schema_version: manifest.schema_version,
    tool_version: manifest.tool_version,
    encrypted: Boolean(header.encryption),
    tables: seen.length,
    rows: seen.reduce((n, p) => n + p.rows, 0),
  };
}

/** The archive's parts with their data handed to `sink` as it streams; each part is yielded once
 * its checksum and row count have been checked against its end frame, and the manifest last,
 * after checking it lists exactly the parts read. */
async function* readParts(
  file: string,
  key: KeySource | undefined,
  sink: (part: PartStart, data: Buffer | null) => Promise<void>,
): AsyncGenerator<(PartStart & PartEnd) | { manifest: Manifest }> {
  const done: (PartStart & PartEnd)[] = [];
  let current: { part: PartStart; hash: ReturnType<typeof createHash>; rows: number; bytes: number } | undefined;
  for await (const frame of readFrames(file, key)) {
    if (frame.type === 'B') {
      if (current) throw backupError('The backup is damaged (part not closed).');
      current = { part: frame.part, hash: createHash('sha256'), rows: 0, bytes: 0 };
    } else if (frame.type === 'D') {
      if (!current) throw backupError('The backup is damaged (data outside a part).');
      current.hash.update(frame.data);
      current.bytes += frame.data.length;
      for (let i = frame.data.indexOf(10); i !== -1; i = frame.data.indexOf(10, i + 1)) current.rows++;
      await sink(current.part, frame.data);
    } else if (frame.type === 'E') {
      if (!current) throw backupError('The backup is damaged (part end without a start).');
      const sha256 = current.hash.digest('hex');
      if (sha256 !== frame.end.sha256 || current.rows !== frame.end.rows || current.bytes !== frame.end.bytes) {
        throw backupError(`The backup is damaged: part ${current.part.name} fails its checksum.`);
      }
      await sink(current.part, null);
      const finished = { ...current.part, ...frame.end };
      done.push(finished);
      current = undefined;
      yield finished;
    } else {
      if (current) throw backupError('The backup is damaged (manifest inside a part).');
      const listed = frame.manifest.parts ?? [];
      const same =
        listed.length === done.length &&
        listed.every((p, i) => p.name === done[i]?.name && p.sha256 === done[i]?.sha256 && p.rows === done[i]?.rows && p.bytes === done[i]?.bytes);
      if (!same) throw backupError('The backup is damaged: its manifest does not match its parts.');
      yield { manifest: frame.manifest };
    }
  }
}

export type RestoreTarget = { as: string; name?: string } | { replace: string };
export type RestoreResult = { school: { id: string; slug: string; name: string }; mode: 'as' | 'replace'; tables: number; rows: number; skipped: string[] };

/** Loads an archive as a new school (`as`: new tenant id, every other id kept) or over an existing
 * one (`replace`). One transaction either way: a failure or a killed process leaves the database
 * as it was. Sign-in sessions and one-time tokens are not carried over (NOT_RESTORED). */
export async function restoreBackup(options: {
  ownerUrl: string;
  file: string;
  key?: KeySource;
  target: RestoreTarget;
  onProgress?: Progress;
}): Promise<RestoreResult> {
  const { header } = await readHeader(options.file);
  const client = await connect(options.ownerUrl, 'restore');
  let copy: { stream: ReturnType<typeof copyFrom>; done: Promise<unknown> } | undefined;
  try {
    await client.query('begin');
    const current = await schemaVersion(client);
    if (header.schema_version !== current) {
      const older = header.schema_version < current;
      throw backupError(
        older
          ? `This backup was made at schema ${header.schema_version}; the database is at ${current}. Restoring an older backup is not supported yet: restore it with the Edify version that made it (${header.schema_version}), then upgrade.`
          : `This backup was made at schema ${header.schema_version}, newer than this database (${current}): upgrade Edify and run db:migrate first.`,
      );
    }
    const tables = new Map((await tenantTables(client)).map((t) => [t.name, t]));
    const tenant = 'as' in options.target ? await newSchool(client, options.target, header) : await lockSchool(client, options.target.replace);
    const tenantLiteral = uuidLiteral(tenant.id);
    await client.query("select set_config('app.tenant_id', $1, true)", [tenant.id]);
    if ('replace' in options.target) {
      for (const table of [...tables.values()].reverse()) {
        await client.query(`delete from public.${escapeIdentifier(table.name)} where tenant_id = ${tenantLiteral}`);
      }
      options.onProgress?.(`deleted the rows of ${tenant.slug}`);
    }
    const skipped: string[] = [];
    let restoredTables = 0;
    let restoredRows = 0;
    const sink = async (part: PartStart, data: Buffer | null) => {
      if (NOT_RESTORED.has(part.table)) return;
      if (!copy) {
        const table = tables.get(part.table);
        if (!table || table.columns.join(',') !== part.columns.join(',')) {
          throw backupError(`The backup's table ${part.table} does not match this database's schema.`);
        }
        const columns = part.columns.map(escapeIdentifier).join(', ');
        await client.query(`create temp table edify_restore on commit drop as select ${columns} from public.${escapeIdentifier(part.table)} with no data`);
        const stream = client.query(copyFrom(`copy edify_restore (${columns}) from stdin`));
        copy = { stream, done: new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject)) };
        copy.done.catch(() => undefined);
      }
      if (data) {
        if (!copy.stream.write(data)) await Promise.race([once(copy.stream, 'drain'), copy.done]);
        return;
      }
      copy.stream.end();
      await copy.done;
      copy = undefined;
      // The rows land in the school through RLS's WITH CHECK: tenant_id is the target school's.
      const columns = part.columns.map(escapeIdentifier);
      const select = part.columns.map((c) => (c === 'tenant_id' ? `${tenantLiteral}::uuid` : escapeIdentifier(c)));
      await client.query(`insert into public.${escapeIdentifier(part.table)} (${columns.join(', ')}) select ${select.join(', ')} from edify_restore`);
      await client.query('drop table edify_restore');
    };
    let manifest: Manifest | undefined;
    const restored = new Set<string>();
    for await (const item of readParts(options.file, options.key, sink)) {
      if ('manifest' in item) {
        manifest = item.manifest;
        continue;
      }
      if (NOT_RESTORED.has(item.table)) {
        skipped.push(item.table);
        continue;
      }
      restored.add(item.table);
      restoredTables++;
      restoredRows += item.rows;
      options.onProgress?.(`${item.table}: ${item.rows} rows`);
    }
    if (!manifest) throw backupError('The backup is damaged: no manifest.');
    const missing = [...tables.keys()].filter((t) => !restored.has(t) && !NOT_RESTORED.has(t));
    if (missing.length > 0) throw backupError(`The backup has no data for ${missing.join(', ')}: it does not match this database's schema.`);
    if ('as' in options.target) {
      // The copy takes the school's own settings from the manifest (read last); billing stays off.
      const t = manifest.tenant;
      await client.query('update tenants set timezone = $2, settings = $3, seat_limit = $4 where id = $1', [
        tenant.id,
        typeof t.timezone === 'string' ? t.timezone : 'UTC',
        JSON.stringify(t.settings ?? {}),
        typeof t.seat_limit === 'number' ? t.seat_limit : null,
      ]);
    }
    await client.query('commit');
    return {
      school: { id: tenant.id, slug: tenant.slug, name: tenant.name },
      mode: 'as' in options.target ? 'as' : 'replace',
      tables: restoredTables,
      rows: restoredRows,
      skipped,
    };
  } catch (error) {
    // A COPY still open (the archive failed mid-part) must be abandoned first: the client queues
    // every other query behind it. Destroying the stream sends CopyFail.
    if (copy) {
      copy.stream.destroy(new Error('restore abandoned'));
      await copy.done.catch(() => undefined);
    }
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function newSchool(client: pg.Client, target: { as: string; name?: string }, header: Header): Promise<Tenant> {
  const slug = target.as.trim().toLowerCase();
  const problem = slugProblem(slug);
  if (problem) throw new AppError('validation-failed', `The subdomain "${slug}" ${problem}.`);
  // Live schools, and held subdomains (a renamed school's old ones while they redirect, a deleted
  // school's: api/platform/renames.ts), except the holds of this backup's own school once it is
  // gone: a deleted school can come back under its own name.
  const { rows: taken } = await client.query(
    `select slug from tenants where slug = $1 or slug_skeleton = $2
     union all
     select old_slug from tenant_slug_redirects r where (old_slug = $1 or old_skeleton = $2) and expires_at > now()
        and not (r.school_id = $3 and not exists (select 1 from tenants t where t.id = r.school_id))`,
    [slug, slugSkeleton(slug), header.school.id],
  );
  if (taken.length > 0) {
    throw conflict(
      taken.some((t) => t.slug === slug)
        ? `The subdomain "${slug}" is already taken.`
        : `The subdomain "${slug}" looks too much like an existing school's; choose another.`,
    );
  }
  // The school's own settings come back; billing does not (no Stripe customer for the copy).
  const { rows } = await client.query<Tenant>(
    'insert into tenants (slug, slug_skeleton, name, timezone, settings, seat_limit) values ($1, $2, $3, $4, $5, $6) returning *',
    [slug, slugSkeleton(slug), target.name ?? header.school.name, 'UTC', '{}', null],
  );
  // The school is back under this name: the deleted school's hold on it has done its job.
  await client.query('delete from tenant_slug_redirects where old_slug = $1 and school_id = $2', [slug, header.school.id]);
  return rows[0] as Tenant;
}

async function lockSchool(client: pg.Client, slug: string): Promise<Tenant> {
  const { rows } = await client.query<Tenant>('select * from tenants where slug = $1 for update', [slug.toLowerCase()]);
  if (!rows[0]) throw notFound(`The school "${slug}"`);
  return rows[0];
}

export type ListedBackup = { file: string; school: string; school_name: string; created_at: string; schema_version: string; bytes: number; encrypted: boolean };

/** Archives in a directory, newest first, from their clear headers (nothing is decrypted). */
export async function listBackups(dir: string): Promise<ListedBackup[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const listed: ListedBackup[] = [];
  for (const name of names.filter((n) => n.endsWith(BACKUP_EXTENSION))) {
    const file = path.join(dir, name);
    try {
      const { header, size } = await readHeader(file);
      listed.push({
        file,
        school: header.school.slug,
        school_name: header.school.name,
        created_at: header.created_at,
        schema_version: header.schema_version,
        bytes: size,
        encrypted: Boolean(header.encryption),
      });
    } catch {
      listed.push({
        file,
        school: '?',
        school_name: '(unreadable header)',
        created_at: '',
        schema_version: '',
        bytes: (await stat(file)).size,
        encrypted: false,
      });
    }
  }
  return listed.sort((a, b) => b.created_at.localeCompare(a.created_at));
}

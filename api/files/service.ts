// Files as records: limits and usage, the row of an upload, deleting, attaching to the records
// of other features, and the cleanup of files nobody attached or whose record is gone.
// Bytes move in api/files/upload.ts and download.ts; who may read an attached file is decided in
// api/files/access.ts by the rules of the record it is attached to.
import { subject } from '@casl/ability';
import type { Knex } from 'knex';
import { withPlatform, withTenant } from '../../tenants/session.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { type Plan, planById } from '../billing/plans.ts';
import type { FilesConfig } from '../config.ts';
import type { Databases } from '../db/connection.ts';
import { AppError, conflict, type FieldError, forbidden, invalid, notFound } from '../errors.ts';
import { actorUserId, createScope, now, type Scope } from '../scope.ts';
import { type AttachedKind, FILE_FIELDS, StoredFile } from './model.ts';
import { createScanner, type Scanner, ScannerDown } from './scanner.ts';
import { createStorage, type Storage } from './storage.ts';
import { formatBytes, type Received } from './upload.ts';

export type FileServices = { storage: Storage; scanner: Scanner | undefined };

// One storage client and one scanner (with its circuit breaker) per configuration.
const services = new WeakMap<FilesConfig, FileServices>();

export function fileServices(config: FilesConfig): FileServices {
  let found = services.get(config);
  if (!found) {
    found = { storage: createStorage(config), scanner: createScanner(config.clamav) };
    services.set(config, found);
  }
  return found;
}

// ── Limits and usage ─────────────────────────────────────────────────────────────────────────

export type Limits = { maxUploadBytes: number; quotaBytes: number | null };

/** The school's largest upload and storage quota: from its plan, else the configured default
 * upload size and no quota (schools set up by operators, not billed through Stripe). */
export function limitsFor(tenant: Scope['tenant'], config: FilesConfig, plans: Plan[]): Limits {
  const plan = planById(plans, tenant.plan);
  return {
    maxUploadBytes: plan?.max_upload_mb ? Math.round(plan.max_upload_mb * 1024 * 1024) : config.maxUploadBytes,
    quotaBytes: plan ? Math.round(plan.storage_gb * 1024 ** 3) : null,
  };
}

/** Bytes the school keeps: every file except rejected ones (whose bytes are deleted at once). */
export async function usedBytes(scope: Scope): Promise<number> {
  const row = (await scope.db('files').whereNot('status', 'rejected').sum({ used: 'size_bytes' }).first()) as { used: string | null } | undefined;
  return Number(row?.used ?? 0);
}

export type Usage = {
  used_bytes: number;
  limit_bytes: number | null;
  max_upload_bytes: number;
  files: number;
  by_status: Record<'pending' | 'clean' | 'rejected' | 'unscanned', number>;
};

export async function storageUsage(scope: Scope, config: FilesConfig, plans: Plan[]): Promise<Usage> {
  const limits = limitsFor(scope.tenant, config, plans);
  const rows = (await scope.db('files').select('status').count({ n: '*' }).groupBy('status')) as { status: keyof Usage['by_status']; n: string }[];
  const by_status = { pending: 0, clean: 0, rejected: 0, unscanned: 0 };
  for (const r of rows) by_status[r.status] = Number(r.n);
  return {
    used_bytes: await usedBytes(scope),
    limit_bytes: limits.quotaBytes,
    max_upload_bytes: limits.maxUploadBytes,
    files: Object.values(by_status).reduce((a, b) => a + b, 0),
    by_status,
  };
}

export function quotaExceeded(quotaBytes: number): AppError {
  return new AppError('payload-too-large', `The school’s storage (${formatBytes(quotaBytes)}) is full. Delete files or ask about a larger plan.`, {
    extra: { limit_bytes: quotaBytes },
  });
}

/** Before any byte is read: refuse when the school is already at its quota. */
export async function assertRoomLeft(scope: Scope, limits: Limits): Promise<void> {
  if (limits.quotaBytes !== null && (await usedBytes(scope)) >= limits.quotaBytes) throw quotaExceeded(limits.quotaBytes);
}

// ── Recording an upload ──────────────────────────────────────────────────────────────────────

/** The row for bytes already stored. Concurrent uploads of one school take turns here (an
 * advisory lock for the transaction), so two of them cannot both fit in the last free space. */
export async function recordUpload(scope: Scope, received: Received, limits: Limits): Promise<StoredFile> {
  await scope.db.raw(`select pg_advisory_xact_lock(hashtextextended('edify.files:' || ?, 0))`, [scope.tenant.id]);
  if (received.status !== 'rejected' && limits.quotaBytes !== null && (await usedBytes(scope)) + received.size > limits.quotaBytes) {
    throw quotaExceeded(limits.quotaBytes);
  }
  const at = now(scope);
  const file = await StoredFile.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    uploaded_by: actorUserId(scope.actor) ?? null,
    purpose: received.purpose,
    name: received.name,
    content_type: received.contentType,
    size_bytes: String(received.status === 'rejected' ? 0 : received.size),
    sha256: received.sha256,
    storage_key: received.key,
    status: received.status,
    scan_result: received.scanResult,
    scanned_at: received.status === 'clean' || received.status === 'rejected' ? at : null,
    created_at: at,
  });
  if (received.status === 'rejected') {
    await audit(scope, 'file.rejected', { type: 'file', id: file.id }, { signature: received.scanResult, sha256: received.sha256 });
  }
  return file;
}

// ── Reading, deleting ────────────────────────────────────────────────────────────────────────

export async function findFile(scope: Scope, id: string): Promise<StoredFile> {
  const file = await StoredFile.query(scope.db).findOne({ 'files.id': id });
  if (!file) throw notFound('The file');
  return file;
}

/** Whether the File rules alone (uploader, admins) allow this action on the file. */
export function fileRulesAllow(scope: Scope, action: 'read' | 'delete', file: StoredFile): boolean {
  return scope.ability.can(action, subject('File', { uploadedBy: file.uploaded_by }));
}

/** Deletes the row; the caller removes the bytes after commit. Uploaders delete their own files
 * while nothing uses them; admins delete any (an attached one then shows as missing). */
export async function deleteFile(scope: Scope, id: string): Promise<StoredFile> {
  const file = await findFile(scope, id);
  if (!fileRulesAllow(scope, 'read', file)) throw notFound('The file');
  if (!fileRulesAllow(scope, 'delete', file)) throw forbidden('You cannot delete this file.');
  if (file.attached_id && scope.ability.cannot('manage', 'File')) throw conflict('This file is attached; remove it from where it is attached instead.');
  await StoredFile.query(scope.db).delete().where({ id: file.id });
  await audit(scope, 'file.deleted', { type: 'file', id: file.id }, { size_bytes: Number(file.size_bytes) });
  return file;
}

/** Files the person may see as files (their own; every file for admins), newest first. */
export async function listFiles(scope: Scope, limit: number): Promise<StoredFile[]> {
  return StoredFile.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'File', FILE_FIELDS))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit);
}

// ── Attaching ────────────────────────────────────────────────────────────────────────────────

export type AttachTarget = { kind: AttachedKind; classId: string | null; id?: string };

/** Checks that each file may be attached to the target by this person: it exists, it is clean
 * (or unscanned, which only happens where unscanned files are allowed), it is not attached to
 * another record, and the person uploaded it, or teaches the target's class and the uploader is
 * a member of that class (admins: any file). */
export async function filesToAttach(scope: Scope, ids: string[], target: AttachTarget, field: (i: number) => string): Promise<StoredFile[]> {
  if (ids.length === 0) return [];
  const rows = await StoredFile.query(scope.db).whereIn('files.id', ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const me = actorUserId(scope.actor);
  const admin = scope.ability.can('manage', 'File');
  const members = target.classId !== null && me !== undefined && !admin ? await classMembersIfTeacher(scope.db, target.classId, me) : new Set<string>();
  const mayAttach = (file: StoredFile) => file.uploaded_by === me || admin || (file.uploaded_by !== null && members.has(file.uploaded_by));
  const errors: FieldError[] = [];
  const found: StoredFile[] = [];
  ids.forEach((id, i) => {
    const file = byId.get(id);
    const problem = !file
      ? 'is not a file of this school'
      : !mayAttach(file)
        ? 'is not a file you uploaded'
        : file.status === 'rejected'
          ? 'was rejected by the virus scanner'
          : file.status === 'pending'
            ? 'is still waiting for its virus scan; attach it once it is clean'
            : file.attached_id && !(file.attached_kind === target.kind && file.attached_id === target.id)
              ? 'is already attached elsewhere; upload it again to use it here too'
              : undefined;
    if (problem || !file) errors.push({ in: 'body', field: field(i), message: problem ?? 'is not a file of this school' });
    else found.push(file);
  });
  if (errors.length > 0) throw invalid(errors);
  return found;
}

/** The class's members when `userId` teaches it; nobody otherwise. */
async function classMembersIfTeacher(db: Knex.Transaction, classId: string, userId: string): Promise<Set<string>> {
  const members = (await db('enrollments').where({ class_id: classId }).select('user_id', 'role')) as { user_id: string; role: string }[];
  if (!members.some((m) => m.user_id === userId && m.role === 'teacher')) return new Set();
  return new Set(members.map((m) => m.user_id));
}

/** Marks the files as attached to the (now existing) record: exactly these, for records without history. */
export async function bindFiles(scope: Scope, ids: string[], target: Required<AttachTarget>): Promise<void> {
  // A file taken off homework, a resource or a notice is detached (cleanupFiles() then removes
  // it); a submission keeps every file it was ever handed in with, as its history shows them.
  if (target.kind !== 'submission') {
    await scope
      .db('files')
      .where({ attached_kind: target.kind, attached_id: target.id })
      .whereNotIn('id', ids)
      .update({ attached_kind: null, attached_id: null, class_id: null, attached_at: null });
  }
  if (ids.length === 0) return;
  const bound = await scope
    .db('files')
    .whereIn('id', ids)
    .where((q) => q.whereNull('attached_id').orWhere({ attached_kind: target.kind, attached_id: target.id }))
    .update({ attached_kind: target.kind, attached_id: target.id, class_id: target.classId, attached_at: now(scope) });
  if (bound !== new Set(ids).size) throw conflict('A file was attached elsewhere at the same moment; try again.');
}

// ── Cleanup ──────────────────────────────────────────────────────────────────────────────────

/** Never attached within this long: removed. */
export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

const OWNERS: Record<AttachedKind, string> = {
  homework: 'homework',
  submission: 'submissions',
  resource: 'resources',
  notice: 'notices',
  lesson: 'course_lessons',
  certificate: 'certificates',
  // A school's logo: attached to the school (tenants has no tenant_id; its id is the school's).
  school: 'tenants',
};

function staleCondition(q: Knex.QueryBuilder, cutoff: Date): void {
  q.where((w) => {
    w.where((u) => u.whereNull('files.attached_id').where('files.created_at', '<', cutoff));
    for (const [kind, table] of Object.entries(OWNERS)) {
      w.orWhere((o) =>
        o.where('files.attached_kind', kind).whereNotExists((e) =>
          e
            .select(1)
            .from(table)
            .whereRaw(kind === 'school' ? 'tenants.id = files.attached_id' : `${table}.tenant_id = files.tenant_id and ${table}.id = files.attached_id`),
        ),
      );
    }
  });
}

export type CleanupResult = { schools: number; removed: number; bytes: number; failed: number };

/** Removes, in every school (or the `schools` given by id or slug), files never attached within 24 hours and files whose record was
 * deleted: the row first (re-checked as it is deleted), then the bytes. A failed byte removal is
 * counted and logged by the caller; the bytes are then unreachable, never served. */
export async function cleanupFiles(
  dbs: Pick<Databases, 'owner' | 'app'>,
  storage: Storage,
  options: { clock?: () => Date; onError?: (error: unknown, key: string) => void; batch?: number; schools?: string[] } = {},
): Promise<CleanupResult> {
  const at = options.clock ? options.clock() : new Date();
  const cutoff = new Date(at.getTime() - UNATTACHED_TTL_MS);
  const schools = await withPlatform(dbs.owner, (db) => {
    const query = db('tenants');
    if (options.schools) query.whereRaw('(id::text = any(?) or slug = any(?))', [options.schools, options.schools]);
    return query.pluck('id') as Promise<string[]>;
  });
  const result: CleanupResult = { schools: 0, removed: 0, bytes: 0, failed: 0 };
  for (const id of schools) {
    for (;;) {
      const gone = await withTenant(
        dbs.app,
        { id },
        async (db) => {
          const candidates = db('files')
            .select('id')
            .modify((q) => staleCondition(q, cutoff))
            .limit(options.batch ?? 500);
          return (await db('files').whereIn('id', candidates).delete().returning(['storage_key', 'size_bytes', 'status'])) as {
            storage_key: string;
            size_bytes: string;
            status: string;
          }[];
        },
        { allowSuspended: true },
      );
      if (gone.length === 0) break;
      for (const file of gone) {
        result.removed += 1;
        result.bytes += Number(file.size_bytes);
        try {
          if (file.status !== 'rejected') await storage.remove(file.storage_key);
        } catch (error) {
          result.failed += 1;
          options.onError?.(error, file.storage_key);
        }
      }
    }
    result.schools += 1;
  }
  return result;
}

// ── Scanning what waited ─────────────────────────────────────────────────────────────────────

export type RescanResult = { scanned: number; clean: number; rejected: number; pending: number };

/** Scans files kept as pending while the scanner was down (CLAMAV_WHEN_DOWN=wait), in every school
 * (or the `schools` given). Infected ones become rejected and lose their bytes, as at upload.
 * Stops at the first scanner failure: the rest wait for the next run. */
export async function scanPendingFiles(
  dbs: Pick<Databases, 'owner' | 'app'>,
  services: FileServices,
  options: { clock?: () => Date; schools?: string[]; batch?: number } = {},
): Promise<RescanResult> {
  const result: RescanResult = { scanned: 0, clean: 0, rejected: 0, pending: 0 };
  const { scanner, storage } = services;
  const schools = await withPlatform(dbs.owner, (db) => {
    const query = db('tenants');
    if (options.schools) query.whereRaw('(id::text = any(?) or slug = any(?))', [options.schools, options.schools]);
    return query.pluck('id') as Promise<string[]>;
  });
  const system = { type: 'system' as const, label: 'files:scan' };
  for (const id of schools) {
    const waiting = (await withTenant(dbs.app, { id }, (db) =>
      db('files')
        .where({ status: 'pending' })
        .orderBy('created_at')
        .limit(options.batch ?? 200)
        .select('id', 'storage_key'),
    )) as { id: string; storage_key: string }[];
    result.pending += waiting.length;
    if (!scanner) continue;
    for (const file of waiting) {
      let verdict: Awaited<ReturnType<Scanner['scan']>>;
      try {
        verdict = await scanner.scan(await storage.get(file.storage_key));
      } catch (error) {
        if (error instanceof ScannerDown) return result;
        throw error;
      }
      const at = options.clock ? options.clock() : new Date();
      await withTenant(dbs.app, { id }, async (db, tenant) => {
        const scope = createScope({ db, tenant, actor: system });
        if (verdict.verdict === 'clean') {
          await db('files').where({ id: file.id, status: 'pending' }).update({ status: 'clean', scanned_at: at });
        } else {
          await db('files')
            .where({ id: file.id, status: 'pending' })
            .update({ status: 'rejected', scan_result: verdict.signature, scanned_at: at, size_bytes: 0 });
          await audit(scope, 'file.rejected', { type: 'file', id: file.id }, { signature: verdict.signature });
        }
      });
      if (verdict.verdict === 'infected') await storage.remove(file.storage_key);
      result.scanned += 1;
      result.pending -= 1;
      result[verdict.verdict === 'clean' ? 'clean' : 'rejected'] += 1;
    }
  }
  return result;
}

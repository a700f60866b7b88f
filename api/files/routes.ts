// docs/files.md. Upload, download (directly or through a short-lived signed address), delete,
// list, and the school's storage usage.
import { z } from 'zod';
import { AppError, notFound } from '../errors.ts';
import { type AnyRoute, tenantRoute } from '../http/route.ts';
import { now, type Scope } from '../scope.ts';
import { readableFile } from './access.ts';
import { dispositionOf, fileReply } from './download.ts';
import type { StoredFile } from './model.ts';
import { assertRoomLeft, deleteFile, fileServices, findFile, limitsFor, listFiles, recordUpload, storageUsage } from './service.ts';
import { signDownload, verifyDownload } from './storage.ts';
import { PURPOSES } from './types.ts';
import { receiveUpload } from './upload.ts';

const tags = ['files'];
const idParams = z.object({ id: z.uuid() });

export const fileView = z.object({
  id: z.uuid(),
  name: z.string().describe('Display name, sanitised'),
  purpose: z.enum(PURPOSES),
  content_type: z.string().describe('Decided from the bytes, not from the client'),
  size_bytes: z.number().int(),
  status: z.enum(['pending', 'clean', 'rejected', 'unscanned']),
  attached: z.boolean(),
  url: z.string().describe('GET it with your credentials; or GET url_endpoint for a short-lived signed address'),
  created_at: z.string(),
});

export function presentFile(f: StoredFile) {
  return {
    id: f.id,
    name: f.name,
    purpose: f.purpose,
    content_type: f.content_type,
    size_bytes: Number(f.size_bytes),
    status: f.status,
    attached: f.attached_id !== null,
    url: `/api/v1/files/${f.id}`,
    created_at: new Date(f.created_at).toISOString(),
  };
}

const usageView = z.object({
  used_bytes: z.number().int(),
  limit_bytes: z.number().int().nullable().describe("From the plan's storage_gb; null: no limit"),
  max_upload_bytes: z.number().int(),
  files: z.number().int(),
  by_status: z.object({ pending: z.number().int(), clean: z.number().int(), rejected: z.number().int(), unscanned: z.number().int() }),
});

// Left optional: a missing or malformed signature is the same 404 as a wrong one.
const signedQuery = z.object({
  expires: z.coerce.number().int().positive().optional(),
  signature: z.string().max(100).optional(),
});

export const fileRoutes: AnyRoute[] = [
  tenantRoute({
    method: 'post',
    path: '/api/v1/files',
    summary: 'Upload a file',
    description:
      'multipart/form-data with one part named "file" (and `purpose` as a query parameter, or a field before the file). The type is decided from the bytes; the name’s extension must agree. The answer comes once the file is stored and scanned: status clean, unscanned (no scanner configured) or pending (scanner unavailable; attach it once clean). An infected file is refused (422) and nothing of it is kept.',
    tags,
    access: { action: 'create', subject: 'File' },
    upload: true,
    query: z.object({ purpose: z.enum(PURPOSES).optional().describe('documents, images or media (audio and video)') }),
    responses: { 201: { description: 'Stored', schema: fileView } },
    handler: async ({ scope, reopen, query, deps, ctx }) => {
      const config = deps.config.files;
      const limits = limitsFor(scope.tenant, config, deps.plans);
      await assertRoomLeft(scope, limits);
      const { storage, scanner } = fileServices(config);
      const tenantId = scope.tenant.id;
      // The bytes arrive after this request's session has closed; the row gets its own.
      return {
        afterCommit: async () => {
          const received = await receiveUpload(ctx.req, {
            tenantId,
            maxBytes: limits.maxUploadBytes,
            purpose: query.purpose,
            storage,
            scanner,
            allowUnscanned: config.allowUnscanned,
          });
          let file: StoredFile;
          try {
            file = await reopen((s) => recordUpload(s, received, limits));
          } catch (error) {
            await storage.remove(received.key).catch(() => undefined);
            throw error;
          }
          if (file.status === 'rejected') {
            return {
              problem: new AppError('file-infected', 'The virus scanner found something in this file; it was not kept.', { extra: { file_id: file.id } }),
            };
          }
          return { status: 201, body: presentFile(file) };
        },
      };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/files',
    summary: 'Files: your own uploads (admins: every file, including unscanned and pending ones)',
    tags,
    access: { action: 'read', subject: 'File' },
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
    responses: { 200: { description: 'Newest first', schema: z.object({ data: z.array(fileView) }) } },
    handler: async ({ scope, query }) => ({ body: { data: (await listFiles(scope, query.limit)).map(presentFile) } }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/files/:id',
    summary: 'Download a file',
    description:
      'For its uploader, admins, and whoever may read the homework, submission, resource or notice it is attached to. Supports If-None-Match, and Range for audio and video.',
    tags,
    access: 'signed-in',
    params: idParams,
    responses: {
      200: { description: 'The bytes', contentType: 'application/octet-stream' },
      206: { description: 'A byte range (audio and video)' },
      304: { description: 'Not modified' },
    },
    handler: async ({ scope, params, deps, ctx }) => {
      const file = await readableFile(scope, params.id);
      const { storage } = fileServices(deps.config.files);
      const conditional = { ifNoneMatch: ctx.get('if-none-match') || undefined, range: ctx.get('range') || undefined };
      return { afterCommit: () => fileReply(storage, file, conditional, 'private, no-cache') };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/files/:id/url',
    summary: 'A short-lived download address for a file',
    description: 'For players and links that cannot send credentials. Works for this file only, until expires_at (FILES_SIGNED_URL_SECONDS).',
    tags,
    access: 'signed-in',
    params: idParams,
    responses: { 200: { description: 'Signed address', schema: z.object({ url: z.string(), expires_at: z.string() }) } },
    handler: async ({ scope, params, deps }) => {
      const file = await readableFile(scope, params.id);
      const config = deps.config.files;
      const { storage } = fileServices(config);
      const expires = Math.floor(now(scope).getTime() / 1000) + config.signedUrlSeconds;
      const expires_at = new Date(expires * 1000).toISOString();
      if (storage.presign) {
        const url = await storage.presign(file.storage_key, {
          expiresInSeconds: config.signedUrlSeconds,
          contentType: file.content_type,
          disposition: dispositionOf(file),
        });
        return { body: { url, expires_at } };
      }
      const signature = signDownload(deps.config.signingSecrets[0] as string, scope.tenant.id, file.id, expires);
      return { body: { url: `/api/v1/files/${file.id}/signed?expires=${expires}&signature=${signature}`, expires_at } };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/files/:id/signed',
    summary: 'Download through a signed address (from GET /files/:id/url)',
    tags,
    access: 'public',
    params: idParams,
    query: signedQuery,
    responses: { 200: { description: 'The bytes', contentType: 'application/octet-stream' } },
    handler: async ({ scope, params, query, deps, ctx }) => {
      const { expires, signature } = query;
      // A signature that does not fit this school, file and expiry names nothing: 404. A genuine
      // one past its time says so.
      if (expires === undefined || signature === undefined || !verifyDownload(deps.config.signingSecrets, scope.tenant.id, params.id, expires, signature)) {
        throw notFound('The file');
      }
      if (expires * 1000 <= now(scope).getTime()) throw new AppError('forbidden', 'This download address has expired; ask for a new one.');
      const file = await signedFile(scope, params.id);
      const { storage } = fileServices(deps.config.files);
      const conditional = { ifNoneMatch: ctx.get('if-none-match') || undefined, range: ctx.get('range') || undefined };
      return { afterCommit: () => fileReply(storage, file, conditional, 'private, max-age=60') };
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/files/:id',
    summary: 'Delete a file',
    description: 'Your own files while nothing uses them; admins any file. The storage usage drops at once.',
    tags,
    access: { action: 'delete', subject: 'File' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params, deps }) => {
      const file = await deleteFile(scope, params.id);
      const { storage } = fileServices(deps.config.files);
      return {
        afterCommit: async () => {
          await storage.remove(file.storage_key);
          return { status: 204 };
        },
      };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/school/storage',
    summary: 'The school’s file storage: used, limit (from the plan), files by scan status',
    tags,
    access: { action: 'manage', subject: 'File' },
    responses: { 200: { description: 'Usage', schema: usageView } },
    handler: async ({ scope, deps }) => ({ body: await storageUsage(scope, deps.config.files, deps.plans) }),
  }),
];

/** A signed address names a file of this school: the signature is the permission. */
async function signedFile(scope: Scope, id: string): Promise<StoredFile> {
  const file = await findFile(scope, id);
  if (file.status === 'rejected') throw notFound('The file');
  return file;
}

import { z } from 'zod';
import { notFound } from '../errors.ts';
import { fileReply } from '../files/download.ts';
import { StoredFile } from '../files/model.ts';
import { fileServices } from '../files/service.ts';
import { tenantRoute } from '../http/route.ts';
import { logoOf, logoVersion } from './logo.ts';
import { schoolView, updateSchoolInput } from './schema.ts';
import { presentSchool, updateSchool } from './service.ts';

export const schoolRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/school',
    summary: 'This school: name, time zone, colour, logo (and, for admins, its settings)',
    tags: ['school'],
    access: { action: 'read', subject: 'School' },
    responses: { 200: { description: 'The school', schema: schoolView } },
    handler: async ({ scope }) => ({ body: presentSchool(scope) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/school',
    summary: 'Change this school’s settings',
    tags: ['school'],
    access: { action: 'update', subject: 'School' },
    body: updateSchoolInput,
    responses: { 200: { description: 'The school', schema: schoolView } },
    handler: async ({ scope, body }) => {
      await updateSchool(scope, body);
      return { body: presentSchool(scope) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/logo',
    summary: 'The school’s logo (public, cacheable)',
    description:
      'The image set in the school settings (api/school/logo.ts), for its pages and emails. With `v` equal to the current version (GET /api/v1/school `logo_url`) it may be cached for a year; otherwise for five minutes. ETag is the content hash (If-None-Match → 304).',
    tags: ['school'],
    access: 'public',
    allowReadOnly: true,
    query: z.object({ v: z.string().max(64).optional() }),
    responses: {
      200: { description: 'PNG, JPEG or WebP', contentType: 'image/png' },
      304: { description: 'Not modified' },
    },
    handler: async ({ scope, deps, query, ctx }) => {
      const logo = logoOf(scope.tenant);
      const file = logo
        ? await StoredFile.query(scope.db)
            .findOne({ 'files.id': logo.file_id, attached_kind: 'school', attached_id: scope.tenant.id })
            .whereIn('status', ['clean', 'unscanned'])
        : undefined;
      if (!logo || !file) throw notFound('The school’s logo');
      const cache = query.v === logoVersion(logo) ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
      const { storage } = fileServices(deps.config.files);
      const ifNoneMatch = ctx.get('if-none-match') || undefined;
      return {
        afterCommit: async () => {
          const reply = (await fileReply(storage, file, { ifNoneMatch }, cache)) as { status?: number; body?: unknown; headers?: Record<string, string> };
          // Mail readers show it from their own sites: not only same-site pages may embed it.
          return { ...reply, headers: { ...reply.headers, 'Cross-Origin-Resource-Policy': 'cross-origin' } };
        },
      };
    },
  }),
];

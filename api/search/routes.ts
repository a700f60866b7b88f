import { z } from 'zod';
import { MAX_LIMIT } from '../content/pagination.ts';
import { onReadPool } from '../db/read.ts';
import { tenantRoute } from '../http/route.ts';
import { search } from './service.ts';

const KINDS = ['class', 'homework', 'resource', 'notice', 'offering'] as const;

const searchQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(200, 'must be at most 200 characters')
    .describe('Words to find. Supports "quoted phrases", OR, and -excluded words.'),
  types: z
    .string()
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(z.array(z.enum(KINDS)).min(1))
    .optional()
    .describe(`Only these kinds, comma-separated: ${KINDS.join(', ')}.`),
  class_id: z.uuid().optional().describe('Only results in this class.'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(20),
  cursor: z.string().max(500).optional(),
});

const hit = z.object({
  kind: z.enum(KINDS),
  id: z.uuid(),
  class_id: z.uuid().nullable().describe('null for school-wide notices'),
  title: z.string(),
  snippet_html: z.string().describe('Escaped text with the matching words in <mark>.'),
  rank: z.number(),
});

export const searchRoutes = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/search',
    summary: 'Search classes, homework, resources and notices you can see',
    description:
      'Full-text search in the school’s language (settings.language), best matches first. Results are exactly what you could open: the same permission rules as each list.',
    tags: ['search'],
    access: 'signed-in',
    query: searchQuery,
    responses: { 200: { description: 'A page of matches', schema: z.object({ data: z.array(hit), next_cursor: z.string().nullable() }) } },
    // Read on the read pool when there is one (api/db/read.ts).
    handler: async ({ scope, query, deps }) => ({ body: await onReadPool(deps.dbs, scope, (s) => search(s, query)) }),
  }),
];

// Cursor (keyset) pagination: stable under inserts, cheap at any depth. The cursor is opaque to
// clients: base64url of the last row's sort key.
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../errors.ts';

export const MAX_LIMIT = 100;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(25).describe(`How many items, at most ${MAX_LIMIT}.`),
  cursor: z.string().max(500).optional().describe('The next_cursor of the previous page.'),
});
export type PageQuery = z.infer<typeof pageQuery>;

export type Page<T> = { data: T[]; next_cursor: string | null };

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

type Sortable = string | number;

/** Orders by (sortColumn, idColumn), both ascending (or both descending: newest first), and
 * fetches one page after the cursor. */
export async function paginate<Row extends object>(
  // biome-ignore lint/suspicious/noExplicitAny: a knex or an Objection query builder
  query: Knex.QueryBuilder | any,
  page: PageQuery,
  keys: { sort: string; id: string; sortOf: (row: Row) => Sortable; idOf: (row: Row) => string; descending?: boolean },
): Promise<Page<Row>> {
  const order = keys.descending ? 'desc' : 'asc';
  if (page.cursor) {
    const [sortValue, id] = decodeCursor(page.cursor);
    query.whereRaw(`(${keys.sort}, ${keys.id}) ${keys.descending ? '<' : '>'} (?, ?)`, [sortValue, id]);
  }
  const rows = (await query
    .orderBy([
      { column: keys.sort, order },
      { column: keys.id, order },
    ])
    .limit(page.limit + 1)) as Row[];
  const more = rows.length > page.limit;
  const data = more ? rows.slice(0, page.limit) : rows;
  const last = data.at(-1);
  return { data, next_cursor: more && last ? encodeCursor([keys.sortOf(last), keys.idOf(last)]) : null };
}

function encodeCursor(key: [Sortable, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [Sortable, string] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === 2 && ['string', 'number'].includes(typeof key[0]) && typeof key[1] === 'string') {
      return key as [Sortable, string];
    }
  } catch {
    // fall through to the problem below
  }
  throw new AppError('validation-failed', 'The cursor is not one this API issued.', {
    errors: [{ in: 'query', field: 'cursor', message: 'not a valid cursor' }],
  });
}

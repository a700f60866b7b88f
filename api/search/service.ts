// GET /search: PostgreSQL full-text search across what the person may read, ranked, with
// highlighted snippets. Every branch is the source's table under RLS plus its CASL rule as SQL.
import { Buffer } from 'node:buffer';
import type { Knex } from 'knex';
import { accessibleBy } from '../access/query.ts';
import { AppError } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { SEARCH_SOURCES, type SearchKind } from './sources.ts';

export type SearchQuery = { q: string; types?: SearchKind[] | undefined; class_id?: string | undefined; limit: number; cursor?: string | undefined };
export type SearchHit = { kind: SearchKind; id: string; class_id: string | null; title: string; snippet_html: string; rank: number };

// Highlight markers no text contains: the snippet is HTML-escaped first, then they become <mark>.
const START = '\u0002';
const STOP = '\u0003';
const HEADLINE = `StartSel=${START}, StopSel=${STOP}, MaxWords=25, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "`;

type Cursor = { rank: number; key: string };

export async function search(scope: Scope, query: SearchQuery): Promise<{ data: SearchHit[]; next_cursor: string | null }> {
  const built = searchQuery(scope, query);
  if (!built) return { data: [], next_cursor: null };
  const rows = (await built) as (Omit<SearchHit, 'snippet_html'> & { key: string; snippet: string })[];
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map(({ key: _key, snippet, ...hit }) => ({ ...hit, snippet_html: highlight(snippet) })),
    next_cursor: rows.length > query.limit && last ? writeCursor({ rank: last.rank, key: last.key }) : null,
  };
}

/** The SQL of one search page, not yet run (test/search/plan.test.ts explains it as edify_app). */
export function searchQuery(scope: Scope, query: SearchQuery): Knex.QueryBuilder | undefined {
  const after = query.cursor ? readCursor(query.cursor) : undefined;
  const sources = SEARCH_SOURCES.filter((s) => !query.types || query.types.includes(s.kind));
  const db = scope.db;
  const branches = sources.map((source) =>
    db(source.table)
      .modify((qb: Knex.QueryBuilder) => {
        if (source.join) qb.joinRaw(source.join);
      })
      .joinRaw('cross join q')
      .whereRaw(`${source.table}.search @@ q.query`)
      .modify(accessibleBy(scope.ability, 'read', source.subject, source.fields(scope)))
      .modify((qb: Knex.QueryBuilder) => {
        if (query.class_id) qb.whereRaw(`${source.classId} = ?`, [query.class_id]);
      })
      .select(
        db.raw('? as kind', [source.kind]),
        db.raw(`${source.table}.id`),
        db.raw(`${source.classId} as class_id`),
        db.raw(`${source.title} as title`),
        db.raw(`${source.text} as body`),
        db.raw(`${source.table}.search_config as config`),
        db.raw(`ts_rank_cd(${source.table}.search, q.query, 1)::float8 as rank`),
        db.raw(`? || ${source.table}.id::text as key`, [source.kind]),
      ),
  );
  if (branches.length === 0) return undefined;
  return db
    .with('q', db.raw('select websearch_to_tsquery(edify_search_config(?::uuid), ?) as query', [scope.tenant.id, query.q]))
    .with('hits', (qb) => {
      qb.unionAll(branches, true);
    })
    .from('hits')
    .joinRaw('cross join q')
    .modify((qb: Knex.QueryBuilder) => {
      if (after) qb.whereRaw('(hits.rank < ? or (hits.rank = ? and hits.key > ?))', [after.rank, after.rank, after.key]);
    })
    .orderBy([
      { column: 'hits.rank', order: 'desc' },
      { column: 'hits.key', order: 'asc' },
    ])
    .limit(query.limit + 1)
    .select(
      'hits.kind',
      'hits.id',
      'hits.class_id',
      'hits.title',
      'hits.rank',
      'hits.key',
      db.raw(`ts_headline(hits.config, coalesce(hits.body, ''), q.query, ?) as snippet`, [HEADLINE]),
    );
}

/** Escapes the snippet's text, then turns the markers ts_headline put around matches into <mark>. */
function highlight(snippet: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return escaped.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>');
}

function writeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function readCursor(raw: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (typeof parsed.rank === 'number' && typeof parsed.key === 'string') return parsed;
  } catch {}
  throw new AppError('validation-failed', 'The cursor is not valid; start again without it.', {
    errors: [{ in: 'query', field: 'cursor', message: 'is not a cursor from this search' }],
  });
}

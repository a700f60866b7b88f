// Hot queries built once per shape: knex compiles the SQL text the first time a shape is asked
// for, and afterwards only the bindings are filled per call. A large query (the dashboard's is
// ~5 KB of SQL from a dozen builders and CASL filters) otherwise spends more time in knex
// building the same text than PostgreSQL spends planning it (docs/performance.md).
//
// How: the query is built twice with two different sets of stand-in parameters; every binding
// that follows a parameter (the same position, the stand-in's value in each build) becomes a slot
// for it, a Date that keeps the same distance from a Date parameter becomes that parameter plus
// the distance (e.g. "now + 7 days"), and a binding equal in both builds is a constant. Anything
// else (a parameter concatenated into a string, different SQL text, a different number of
// bindings) means the shape depends on the values: that is a programming error and throws, so
// tests fail rather than a query being compiled wrongly. The key must name everything else the
// shape depends on (the role whose rules filter it, how many children a guardian has).
//
// The text is run as a raw statement (unnamed, so pgbouncer's transaction mode is unaffected).
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';

export type QueryParams = Record<string, string | Date>;
type Slot = { constant: unknown } | { param: string; offsetMs?: number };
type Compiled = { sql: string; slots: Slot[] };

const compiled = new LRUCache<string, Compiled>({ max: 500 });

/** Stand-ins: fresh UUIDs for strings, distinct far-off instants for Dates. */
function standIns(sample: QueryParams, seed: number): QueryParams {
  return Object.fromEntries(
    Object.entries(sample).map(([name, value], i) => [
      name,
      value instanceof Date ? new Date(Date.UTC(2400 + seed, 0, 1 + i, 0, 0, 0, 7 * (i + 1))) : randomUUID(),
    ]),
  );
}

function compile(db: Knex | Knex.Transaction, key: string, sample: QueryParams, build: (params: QueryParams) => Knex.QueryBuilder | Knex.Raw): Compiled {
  const a = standIns(sample, 0);
  const b = standIns(sample, 1);
  const first = build(a).toSQL();
  const second = build(b).toSQL();
  const fail = (why: string) => new Error(`compiled query ${key}: ${why}`);
  if (first.sql !== second.sql) throw fail('its SQL text depends on the parameters');
  if (first.bindings.length !== second.bindings.length) throw fail('its number of bindings depends on the parameters');
  const names = Object.keys(sample);
  const slots = first.bindings.map((x, i): Slot => {
    const y = second.bindings[i];
    const named = names.find((name) => a[name] === x && b[name] === y);
    if (named) return { param: named };
    if (x instanceof Date && y instanceof Date) {
      if (x.getTime() === y.getTime()) return { constant: x };
      const moved = names.find((name) => {
        const [pa, pb] = [a[name], b[name]];
        return pa instanceof Date && pb instanceof Date && x.getTime() - pa.getTime() === y.getTime() - pb.getTime();
      });
      if (moved) return { param: moved, offsetMs: x.getTime() - (a[moved] as Date).getTime() };
      throw fail(`binding ${i} is a time that follows no parameter`);
    }
    if (x === y && !names.some((name) => typeof x === 'string' && x.includes(a[name] as string))) return { constant: x };
    throw fail(`binding ${i} depends on a parameter in a way that cannot be filled in`);
  });
  // The text is re-read as a raw statement: it must come back exactly as knex wrote it.
  if (
    db
      .raw(first.sql, first.bindings as Knex.RawBinding[])
      .toSQL()
      .toNative().sql !== build(a).toSQL().toNative().sql
  )
    throw fail('its SQL text does not survive being run as a raw statement (a literal "?")');
  return { sql: first.sql, slots };
}

/** Runs the query of this shape with these parameters; knex builds its text only the first time. */
export async function runCompiled<T = Record<string, unknown>>(
  db: Knex | Knex.Transaction,
  key: string,
  params: QueryParams,
  build: (params: QueryParams) => Knex.QueryBuilder | Knex.Raw,
): Promise<T[]> {
  let query = compiled.get(key);
  if (!query) {
    query = compile(db, key, params, build);
    compiled.set(key, query);
  }
  const bindings = query.slots.map((slot) => {
    if ('constant' in slot) return slot.constant;
    const value = params[slot.param];
    if (value === undefined) throw new Error(`compiled query ${key}: no value for ${slot.param}`);
    return slot.offsetMs === undefined ? value : new Date((value as Date).getTime() + slot.offsetMs);
  });
  const result = await db.raw(query.sql, bindings as Knex.RawBinding[]);
  return result.rows as T[];
}

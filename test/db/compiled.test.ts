// api/db/compiled.ts: a hot query's SQL text is built once per shape and only its bindings are
// filled per call. What it must never do is run a text whose bindings are wrong for the values
// given: every parameter lands where the query put it, times keep their distance from "now", and
// a query whose shape depends on its values is refused when it is compiled.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { type QueryParams, runCompiled } from '../../api/db/compiled.ts';
import { testEnv } from '../helpers/env.ts';

const DAY = 86_400_000;
const key = (name: string) => `${name}-${randomUUID()}`;

test('each call gets its own values in the compiled text; the query is built only when compiled', async (t) => {
  const db = testEnv().dbs.owner;
  let builds = 0;
  const build = (p: QueryParams) => {
    builds++;
    const at = p.at as Date;
    return db
      .select(
        db.raw('?::uuid as person, ?::uuid as child, ?::timestamptz as at, ?::timestamptz as week_later, ?::int as ten', [
          p.person as string,
          p.child as string,
          at,
          new Date(at.getTime() + 7 * DAY),
          10,
        ]),
      )
      .where(db.raw('?::timestamptz > ?::timestamptz', [new Date(at.getTime() + DAY), at]));
  };
  const name = key('three');
  for (const at of [new Date('2026-11-27T09:00:00Z'), new Date('2031-02-03T04:05:06.789Z'), new Date('1999-12-31T23:59:59Z')]) {
    const [person, child] = [randomUUID(), randomUUID()];
    const [row] = await runCompiled<{ at: Date; week_later: Date }>(db, name, { person, child, at }, build);
    if (!row) return t.fail('no row');
    t.like(row, { person, child, ten: 10 });
    t.is(row.at.toISOString(), at.toISOString());
    t.is(row.week_later.toISOString(), new Date(at.getTime() + 7 * DAY).toISOString(), 'a time derived from a parameter follows it');
  }
  t.is(builds, 3, 'built three times to compile (two stand-ins and a check), never again');
});

test('a query whose text or bindings depend on the values is refused when compiled', async (t) => {
  const db = testEnv().dbs.owner;
  const byYear = (p: QueryParams) => ((p.at as Date).getUTCFullYear() % 2 === 0 ? db.select(db.raw('1 as even')) : db.select(db.raw('1 as odd')));
  await t.throwsAsync(runCompiled(db, key('text'), { at: new Date() }, byYear), { message: /SQL text depends on the parameters/ });
  const pattern = (p: QueryParams) => db('pg_class').where('relname', 'like', `%${p.name}%`).select('relname');
  await t.throwsAsync(runCompiled(db, key('like'), { name: 'x' }, pattern), { message: /cannot be filled in/ });
  const stray = (p: QueryParams) => db.select(db.raw('?::timestamptz as at', [new Date((p.at as Date).getTime() * 2)]));
  await t.throwsAsync(runCompiled(db, key('stray'), { at: new Date() }, stray), { message: /follows no parameter/ });
});

// Turns the statements an endpoint was seen sending (bench/lib/pg-proxy.ts) into (1) templates
// the raw-pg reference server replays with each request's own values and (2) a pgbench script
// replaying them with the captured values: the same SQL, byte for byte, minus the app.
import { escapeLiteral } from 'pg';
import type { Statement } from './pg-proxy.ts';

export type Ref = 'tenantId' | 'sessionId' | 'userId' | 'slug' | 'classId' | 'attemptId' | 'questionId';
export type Template = { sql: string; params: (string | null | { ref: Ref })[]; slugLiteral?: boolean };
/** The request's own values, as seen in the capture: the raw server fills them in per request. */
export type Known = Record<'tenantId' | 'sessionId' | 'userId' | 'slug', string> & Partial<Record<Ref, string>>;

export function templatesFrom(statements: Statement[], known: Known): { rls: Template[]; owner: Template[] } {
  const [session, ...rest] = statements;
  if (!session || !/^begin/i.test(session.sql)) throw new Error(`expected the request to open with BEGIN and the tenant statement, saw: ${session?.sql}`);
  // The school's slug, and (since the sign-in lookup rides in the same message) the session id,
  // are literals in that message: placeholders the raw server fills per request.
  const slugSql = session.sql.replace(escapeLiteral(known.slug), '$slug').replace(escapeLiteral(known.sessionId), '$session');
  const refOf = (value: string | null) => {
    const found = (Object.keys(known) as Ref[]).find((ref) => known[ref] === value);
    return found ? { ref: found } : value;
  };
  const rls: Template[] = [{ sql: slugSql, params: [], slugLiteral: true }, ...rest.map((s) => ({ sql: s.sql, params: s.params.map(refOf) }))];
  const owner: Template[] = rls.map((t, i) => {
    if (i === 0) return { ...t, sql: t.sql.replace(/,\s*set_config\([\s\S]*?as _session/, '') };
    if (t.sql === 'COMMIT;') return t;
    const table = /\bfrom "([a-z_]+)"/.exec(t.sql)?.[1];
    if (!table || !/ where /.test(t.sql)) return t;
    const n = t.params.length + 1;
    return { sql: t.sql.replace(' where ', ` where "${table}"."tenant_id" = $${n} and `), params: [...t.params, { ref: 'tenantId' as const }] };
  });
  return { rls, owner };
}

/** The statement with its parameters written in as literals (highest number first: $12 before $1). */
export function inlineParams(statement: Statement): string {
  let sql = statement.sql;
  for (let i = statement.params.length; i >= 1; i--) {
    const value = statement.params[i - 1];
    sql = sql.replaceAll(`$${i}`, value === null || value === undefined ? 'NULL' : escapeLiteral(value));
  }
  return sql;
}

/** A pgbench script (-M simple) of the captured statements with their captured values. */
export function pgbenchScript(statements: Statement[]): string {
  return statements
    .map((s) => {
      const sql = inlineParams(s);
      // One line per command; `\;` keeps BEGIN and the tenant statement in one message, as sent.
      return `${sql.replace(/\s+/g, ' ').trim().replace(/;$/, '').replaceAll(';', ' \\;')};`;
    })
    .join('\n');
}

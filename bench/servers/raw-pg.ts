// Ceilings (c) and (d): the hot endpoints written by hand on raw `pg`, running the statements the
// app was seen sending (captured through bench/lib/pg-proxy.ts), with the request's own values.
//  GET /api/v1/classes/:id (P3, P5) and PUT /api/v1/quiz-attempts/:id/answers/:q (the autosave).
//  MODE=rls:   as edify_app, the tenant statement sets app.tenant_id and RLS filters (P3).
//  MODE=owner: as the owner, no tenant setting, an explicit `tenant_id = ...` instead (P5).
// No JWT signature check, no CASL, no validation: that is the point of a ceiling.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import type { Template } from '../lib/capture.ts';

type Endpoint = { rls: Template[]; owner: Template[] };
const templates = JSON.parse(readFileSync(String(process.env.TEMPLATES), 'utf8')) as { class: Endpoint; autosave?: Endpoint };
const mode = process.env.MODE === 'owner' ? 'owner' : 'rls';
const pool = new pg.Pool({ connectionString: process.env.DB_URL, max: Number(process.env.POOL ?? 10) });
const base = String(process.env.BASE_DOMAIN);

type Values = Record<string, string>;

/** The endpoint a request is for, and the values its path carries. */
function route(method: string | undefined, url: string | undefined): { statements: Template[]; values: Values } | undefined {
  const classId = method === 'GET' ? /^\/api\/v1\/classes\/([0-9a-f-]{36})$/.exec(url ?? '')?.[1] : undefined;
  if (classId) return { statements: templates.class[mode], values: { classId } };
  const save = method === 'PUT' ? /^\/api\/v1\/quiz-attempts\/([0-9a-f-]{36})\/answers\/([0-9a-f-]{36})$/.exec(url ?? '') : null;
  if (save?.[1] && save[2] && templates.autosave) return { statements: templates.autosave[mode], values: { attemptId: save[1], questionId: save[2] } };
  return undefined;
}

const server = http.createServer(async (req, res) => {
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const slug = host.endsWith(`.${base}`) ? host.slice(0, -(base.length + 1)) : '';
  const token = String(req.headers.authorization ?? '').replace(/^Bearer /i, '');
  const endpoint = route(req.method, req.url);
  // The body (the autosave's answer) is read, as the app must, and not parsed: the captured
  // statement carries the same answer.
  for await (const _ of req);
  if (!slug || !token || !endpoint) {
    res.writeHead(404).end();
    return;
  }
  const { statements } = endpoint;
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; sid: string };
  const values: Values = { ...endpoint.values, slug, sessionId: claims.sid, userId: claims.sub };
  const client = await pool.connect();
  try {
    let row: Record<string, unknown> | undefined;
    for (const [i, statement] of statements.entries()) {
      const params = statement.params.map((p) => (typeof p === 'string' || p === null ? p : (values[p.ref] ?? null)));
      const sql = statement.slugLiteral
        ? statement.sql.replace('$slug', pg.escapeLiteral(slug)).replace('$session', pg.escapeLiteral(values.sessionId ?? ''))
        : statement.sql;
      const result = await client.query(sql, params.length ? params : undefined);
      const results = Array.isArray(result) ? result : [result];
      const last = results[results.length - 1];
      if (i === 0) {
        // BEGIN, the school, and (when it rides along) the sign-in lookup: each must find its row.
        const tenant = results.find((r) => r.rows[0] && 'slug' in r.rows[0])?.rows[0];
        if (!tenant || results.some((r) => r.command === 'SELECT' && r.rows.length === 0)) throw new Error('no school or session');
        values.tenantId = tenant.id;
      } else if (statement.sql !== 'COMMIT;') {
        row = last?.rows[0];
        if (!row) throw new Error('not found');
      }
    }
    const body = JSON.stringify(row);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } catch {
    await client.query('rollback').catch(() => undefined);
    res.writeHead(404).end();
  } finally {
    client.release();
  }
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));

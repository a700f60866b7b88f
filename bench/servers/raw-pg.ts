// Ceilings (c) and (d): the hot endpoint written by hand on raw `pg`, running the statements the
// app was seen sending (captured through bench/lib/pg-proxy.ts), with the request's own values.
//  MODE=rls:   as edify_app, the tenant statement sets app.tenant_id and RLS filters (P3).
//  MODE=owner: as the owner, no tenant setting, an explicit `tenant_id = ...` instead (P5).
// No JWT signature check, no CASL, no validation: that is the point of a ceiling.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import type { Template } from '../lib/capture.ts';

const templates = JSON.parse(readFileSync(String(process.env.TEMPLATES), 'utf8')) as { rls: Template[]; owner: Template[] };
const mode = process.env.MODE === 'owner' ? 'owner' : 'rls';
const statements = templates[mode];
const pool = new pg.Pool({ connectionString: process.env.DB_URL, max: Number(process.env.POOL ?? 10) });
const base = String(process.env.BASE_DOMAIN);

type Values = Record<string, string>;

const server = http.createServer(async (req, res) => {
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const slug = host.endsWith(`.${base}`) ? host.slice(0, -(base.length + 1)) : '';
  const token = String(req.headers.authorization ?? '').replace(/^Bearer /i, '');
  const classId = /^\/api\/v1\/classes\/([0-9a-f-]{36})$/.exec(req.url ?? '')?.[1];
  if (!slug || !token || !classId) {
    res.writeHead(404).end();
    return;
  }
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; sid: string };
  const values: Values = { slug, classId, sessionId: claims.sid, userId: claims.sub };
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

// Reading the audit log (admins): filtered, newest first, keyset-paginated on the exact time.
import { z } from 'zod';
import { accessibleBy } from '../access/query.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import type { Scope } from '../scope.ts';

export const auditEventView = z.object({
  id: z.uuid(),
  occurred_at: z.string(),
  actor: z.object({ type: z.enum(['user', 'operator', 'system']), id: z.uuid().nullable(), label: z.string() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
  details: z.record(z.string(), z.unknown()),
  request_id: z.string().nullable(),
  ip: z.string().nullable(),
});
export type AuditEventView = z.infer<typeof auditEventView>;

export type AuditFilter = {
  action?: string | undefined;
  target_type?: string | undefined;
  target_id?: string | undefined;
  actor_id?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
};

type Row = {
  id: string;
  occurred_key: string;
  occurred_at: Date;
  actor_type: 'user' | 'operator' | 'system';
  actor_id: string | null;
  actor_label: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  ip: string | null;
};

export async function listAuditEvents(scope: Scope, query: PageQuery & AuditFilter): Promise<Page<AuditEventView>> {
  const db = scope.db;
  const q = db('audit_events')
    // The audit subject has no rule fields: admins read all of it, everyone else nothing.
    .modify(accessibleBy(scope.ability, 'read', 'AuditEvent', {}))
    // The exact time as text, so the cursor keeps microseconds (a Date would round them away).
    .select('audit_events.*', db.raw('audit_events.occurred_at::text as occurred_key'));
  if (query.action) {
    if (query.action.endsWith('.')) q.whereLike('action', `${query.action.replace(/[%_\\]/g, '\\$&')}%`);
    else q.where('action', query.action);
  }
  if (query.target_type) q.where('target_type', query.target_type);
  if (query.target_id) q.where('target_id', query.target_id);
  if (query.actor_id) q.where('actor_id', query.actor_id);
  if (query.since) q.where('occurred_at', '>=', new Date(query.since));
  if (query.until) q.where('occurred_at', '<', new Date(query.until));
  const page = await paginate<Row>(q, query, {
    sort: 'audit_events.occurred_at',
    id: 'audit_events.id',
    sortOf: (r) => r.occurred_key,
    idOf: (r) => r.id,
    descending: true,
  });
  return {
    next_cursor: page.next_cursor,
    data: page.data.map((r) => ({
      id: r.id,
      occurred_at: new Date(r.occurred_at).toISOString(),
      actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
      action: r.action,
      target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
      details: r.details ?? {},
      request_id: r.request_id,
      ip: r.ip,
    })),
  };
}

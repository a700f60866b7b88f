// The one way features record security-relevant changes (logins, role changes, grades). The
// table is append-only for the app role; the event commits or rolls back with the change itself.
import { type Actor, actorUserId, type Scope } from '../scope.ts';

export type AuditTarget = { type: string; id: string } | null;

export async function audit(scope: Scope, action: string, target: AuditTarget, details: Record<string, unknown> = {}): Promise<void> {
  await scope.db('audit_events').insert({
    tenant_id: scope.tenant.id,
    actor_type: scope.actor.type === 'anonymous' ? 'system' : scope.actor.type,
    actor_id: actorUserId(scope.actor) ?? null,
    actor_label: actorLabel(scope.actor),
    action,
    target_type: target?.type ?? null,
    target_id: target?.id ?? null,
    details: JSON.stringify(details),
    request_id: scope.request?.id ?? null,
    ip: scope.request?.ip ?? null,
  });
}

function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.user.id}`;
    case 'operator':
      return `operator:${actor.label}`;
    case 'system':
      return `system:${actor.label}`;
    case 'anonymous':
      return 'anonymous';
  }
}

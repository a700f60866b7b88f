// The scope every service function takes first: the transaction, the school, who is acting and
// what they may do. Routes get it from ctx.state; the CLI and jobs build it with withTenant.
import type { Knex } from 'knex';
import type { AppAbility } from './access/ability.ts';

export type Tenant = {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  suspended_reason: string | null;
  timezone: string;
  settings: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
};

export type Role = 'admin' | 'teacher' | 'student';
export const ROLES: readonly Role[] = ['admin', 'teacher', 'student'];

export type SignedInUser = { id: string; role: Role; email: string; first_name: string; last_name: string; sessionId: string };

export type Actor = { type: 'user'; user: SignedInUser } | { type: 'operator'; label: string } | { type: 'system'; label: string } | { type: 'anonymous' };

export type RequestInfo = { id: string; ip: string | undefined };

export type Scope = {
  db: Knex.Transaction;
  tenant: Tenant;
  actor: Actor;
  ability: AppAbility;
  request?: RequestInfo;
};

export function actorUserId(actor: Actor): string | undefined {
  return actor.type === 'user' ? actor.user.id : undefined;
}

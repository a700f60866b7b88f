// The scope every service function takes first: the transaction, the school, who is acting and
// what they may do. Routes get it from ctx.state; the CLI and jobs build it with withTenant.
import type { Knex } from 'knex';
import { type AppAbility, abilityFor } from './access/ability.ts';
import type { Outbox } from './jobs/outbox.ts';

export type Tenant = {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  suspended_reason: string | null;
  timezone: string;
  settings: Record<string, unknown>;
  /** Active and invited teachers and students allowed; null = no limit (set by the plan). */
  seat_limit: number | null;
  /** Billing, mirrored from Stripe (api/billing/). 'none': not billed through Stripe (operator-managed). */
  plan: string | null;
  billing_status: BillingStatus;
  trial_ends_at: Date | null;
  current_period_end: Date | null;
  past_due_since: Date | null;
  /** Last recorded access (api/billing/access-changes.ts). */
  access_level: 'full' | 'read_only';
  created_at: Date;
  updated_at: Date;
};

export type BillingStatus = 'none' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'paused';

/** Guardians (parents, carers) are linked to students (guardian_links) and only read. */
export type Role = 'admin' | 'teacher' | 'student' | 'guardian';
export const ROLES: readonly Role[] = ['admin', 'teacher', 'student', 'guardian'];

export type SignedInUser = {
  id: string;
  role: Role;
  email: string;
  first_name: string;
  last_name: string;
  sessionId: string;
  /** The school requires 2FA for this person and they have not enrolled: only enrolment routes answer. */
  enrolmentOnly?: boolean;
  /** How the request proved who it is: browser sessions must also pass the CSRF check. */
  via?: 'bearer' | 'cookie';
};

export type Actor = { type: 'user'; user: SignedInUser } | { type: 'operator'; label: string } | { type: 'system'; label: string } | { type: 'anonymous' };

export type RequestInfo = { id: string; ip: string | undefined };

export type Scope = {
  db: Knex.Transaction;
  tenant: Tenant;
  actor: Actor;
  ability: AppAbility;
  request?: RequestInfo;
  /** Work to do once the transaction has committed (email, later jobs): never slow I/O inside it. */
  afterCommit?: (() => Promise<void>)[];
  /** Where jobs go: inserted in this scope's transaction (api/jobs/outbox.ts, enqueue). */
  outbox?: Outbox;
  /** The time, injectable so tests can move it (quiz deadlines, due dates). Read it with now(scope). */
  clock?: () => Date;
};

/** The one way to make a scope: its ability always follows from its actor. Requests, the CLI,
 * jobs and webhooks all build theirs here. */
export function createScope(parts: Omit<Scope, 'ability'>): Scope {
  return { ...parts, ability: abilityFor(parts.actor) };
}

/** Changes who a scope acts for (a request that has just authenticated), ability included. */
export function actAs(scope: Scope, actor: Actor): void {
  scope.actor = actor;
  scope.ability = abilityFor(actor);
}

/** The current time as this scope sees it: the app's clock for requests, the real one otherwise. */
export function now(scope: Pick<Scope, 'clock'>): Date {
  return scope.clock ? scope.clock() : new Date();
}

/** Runs fn after the scope's transaction commits; the caller that opened the scope runs the list. */
export function afterCommit(scope: Scope, fn: () => Promise<void>): void {
  if (!scope.afterCommit) throw new Error('This scope cannot run work after commit');
  scope.afterCommit.push(fn);
}

export async function runAfterCommit(tasks: (() => Promise<void>)[] | undefined, onError: (error: unknown) => void): Promise<void> {
  for (const task of tasks ?? []) {
    try {
      await task();
    } catch (error) {
      onError(error);
    }
  }
}

export function actorUserId(actor: Actor): string | undefined {
  return actor.type === 'user' ? actor.user.id : undefined;
}

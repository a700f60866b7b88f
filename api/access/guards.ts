// The policies every piece of work passes before it touches a school's data, in one ordered list,
// each owned by its feature: billing's read-only rule, the browser session's CSRF proof, the
// two-factor enrolment gate, and the route's permission. Requests (api/http/route.ts), CLI
// commands (cli/base.ts inSchool) and jobs (api/jobs/worker.ts inSchool) all run this list; each
// guard says which of them it applies to. A new rule is a new guard here, not an `if` in one caller.
import type { Context } from 'koa';
import type { AppDeps } from '../app-deps.ts';
import { csrfGuard, enrolmentGuard } from '../auth/guards.ts';
import { billingReadOnlyGuard } from '../billing/guard.ts';
import { forbidden } from '../errors.ts';
import type { Scope } from '../scope.ts';
import type { Action, SubjectName } from './ability.ts';

export type Entry = 'request' | 'cli' | 'job';

/** What the guards are told about a piece of work. */
export type Work = {
  scope: Scope;
  entry: Entry;
  /** It may change the school's data (a non-GET request, a writing command, a job). */
  writes: boolean;
  /** Still allowed while the school is read-only for billing (signing in, paying, owed delivery). */
  allowReadOnly?: boolean;
  /** From the configuration (BILLING_GRACE_DAYS): how long a failed payment keeps full access. */
  billingGraceDays: number;
  /** Requests only: what the route declared, and the request itself. */
  request?: {
    ctx: Context;
    deps: Pick<AppDeps, 'tokenKeys'>;
    access: 'public' | 'signed-in' | { action: Action; subject: SubjectName };
    duringEnrolment?: boolean;
    /** A page's multipart upload: its CSRF token rides in the address (read before the body). */
    tokenInAddress?: boolean;
  };
};

export type Guard = { name: string; entries: readonly Entry[]; check: (work: Work) => void };

/** A route's declared `{ action, subject }`: the person may do it to some record of that kind
 * (the service then narrows it to the records, 404 for the rest). */
export const permissionGuard: Guard = {
  name: 'permission',
  entries: ['request'],
  check: ({ scope, request }) => {
    const access = request?.access;
    if (typeof access === 'object' && scope.ability.cannot(access.action, access.subject)) throw forbidden('You do not have permission to do this.');
  },
};

/** In order: the first guard that refuses answers. */
export const GUARDS: readonly Guard[] = [billingReadOnlyGuard, csrfGuard, enrolmentGuard, permissionGuard];

export function runGuards(work: Work, guards: readonly Guard[] = GUARDS): void {
  for (const guard of guards) if (guard.entries.includes(work.entry)) guard.check(work);
}

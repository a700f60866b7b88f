// Work that time alone causes, so nothing waits for a request: every few minutes the cron job
// `tick` queues one `school-tick` per active school, and that job, inside the school's tenant
// session, publishes scheduled notices, closes quiz attempts whose time ran out, sends due
// reminders and digests, records billing changes (grace or trial ended → read-only), and prunes
// expired tokens and SAML state. Each step has its own transaction, so one failing step does
// not undo the others; each is idempotent, so a retried tick does no harm.
import { accessOf } from '../billing/access.ts';
import { recordAccessChange } from '../billing/access-changes.ts';
import { schoolUrl } from '../config.ts';
import { cleanupFiles, fileServices, scanPendingFiles } from '../files/service.ts';
import { pruneIdempotencyKeys } from '../http/idempotency.ts';
import { fanOutDueNotices } from '../notices/fan-out.ts';
import { notificationsTick } from '../notifications/jobs.ts';
import { finaliseExpiredAttempts } from '../quizzes/attempts.ts';
import { now, type Scope, type Tenant } from '../scope.ts';
import { pruneSamlState } from '../sso/prune.ts';
import { inSchool, type WorkerDeps } from './worker.ts';

const MINUTE = 60_000;

/** The cron job: one school-tick per active school, at most one per school per slot. */
export async function tick(deps: WorkerDeps): Promise<{ schools: number }> {
  const at = deps.clock();
  const slot = new Date(Math.floor(at.getTime() / (5 * MINUTE)) * 5 * MINUTE).toISOString();
  const schools: { id: string }[] = await deps.dbs.owner('tenants').where({ status: 'active' }).select('id');
  for (const school of schools) {
    await deps.jobs.send('school-tick', { tenant_id: school.id, at: at.toISOString() }, { singletonKey: `${school.id}:${slot}` });
  }
  return { schools: schools.length };
}

export type TickReport = {
  files?: { scanned: number; removed: number } | undefined;
  notices: number;
  attempts: number;
  pruned: number;
  access?: 'full' | 'read_only' | undefined;
  notifications?: Record<string, number> | undefined;
};

/** One school's timed work. Undefined when the school is suspended or gone. */
export async function schoolTick(deps: WorkerDeps, data: { tenant_id: string }): Promise<TickReport | undefined> {
  const step = <T>(label: string, fn: (scope: Scope) => Promise<T>) => inSchool(deps, data.tenant_id, `school-tick:${label}`, fn);
  const notices = await step('notices', fanOutDueNotices);
  if (notices === undefined) return undefined;
  const attempts = await step('attempts', finaliseExpiredAttempts);
  const pruned = await step('prune', pruneExpired);
  const notifications = await step('notifications', (scope) => notificationsTick(scope, schoolUrl(deps.config, scope.tenant.slug)));
  const access = await billingClock(deps, data.tenant_id);
  const files = await filesTick(deps, data.tenant_id);
  return {
    files,
    notices: notices.length,
    attempts: attempts?.finalised ?? 0,
    pruned: pruned ?? 0,
    ...(access ? { access } : {}),
    ...(notifications ? { notifications } : {}),
  };
}

/** Files that waited for the scanner are scanned now, and files never attached within a day or
 * left by deleted records are removed (api/files/service.ts; also `edify files:scan` and
 * `edify files:cleanup`). A failure here is logged and retried with the next tick. */
async function filesTick(deps: WorkerDeps, tenantId: string): Promise<{ scanned: number; removed: number } | undefined> {
  const services = fileServices(deps.config.files);
  try {
    const scanned = await scanPendingFiles(deps.dbs, services, { clock: deps.clock, schools: [tenantId] });
    const removed = await cleanupFiles(deps.dbs, services.storage, { clock: deps.clock, schools: [tenantId] });
    return { scanned: scanned.scanned, removed: removed.removed };
  } catch (error) {
    deps.log.warn({ err: error, tenant_id: tenantId }, 'school-tick: files step failed');
    return undefined;
  }
}

/** A change of access that only time causes (a trial or a grace period ending) is recorded,
 * audited and emailed now, not when the next request happens to arrive. */
export async function billingClock(deps: WorkerDeps, tenantId: string): Promise<'full' | 'read_only' | undefined> {
  const tenant = (await deps.dbs.owner<Tenant>('tenants').where({ id: tenantId, status: 'active' }).first()) as Tenant | undefined;
  if (!tenant) return undefined;
  const access = accessOf(tenant, deps.config.billingGraceDays, deps.clock());
  if (access.level === tenant.access_level) return undefined;
  await recordAccessChange(deps, tenant, access);
  return access.level;
}

/** Deletes what can no longer be used: expired SAML request ids and replay records, refresh
 * tokens and sessions, password-reset, email-verification and invitation tokens. Kept a while
 * after expiry where a late attempt should still get "expired" rather than "unknown". */
export async function pruneExpired(scope: Scope): Promise<number> {
  const at = now(scope);
  const ago = (days: number) => new Date(at.getTime() - days * 24 * 60 * MINUTE);
  let count = 0;
  const saml = await pruneSamlState(scope);
  count += saml.requests + saml.replays;
  count += await scope.db('refresh_tokens').where('expires_at', '<', ago(1)).delete();
  count += await scope
    .db('auth_sessions')
    .where((q) => q.where('expires_at', '<', ago(1)).orWhere('revoked_at', '<', ago(30)))
    .delete();
  count += await scope.db('password_resets').where('expires_at', '<', ago(1)).delete();
  count += await scope.db('email_verifications').where('expires_at', '<', ago(1)).delete();
  count += await scope.db('invitations').where('expires_at', '<', ago(30)).delete();
  // Sign-in failures count over a sliding 15-minute window (api/auth/throttle.ts); older rows
  // decide nothing any more.
  count += await scope.db('sign_in_failures').where('occurred_at', '<', ago(1)).delete();
  // Idempotency-Key answers are replayed for a day (api/http/idempotency.ts).
  count += await pruneIdempotencyKeys(scope);
  return count;
}

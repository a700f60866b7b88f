// Creating, listing, suspending and resuming schools. These cross schools, so they run in the
// platform scope (the owner pool). The owner is subject to RLS too (FORCE ROW LEVEL SECURITY),
// so work on a school's own tables sets app.tenant_id inside the same transaction.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import { slugProblem, slugSkeleton } from '../../tenants/slug.ts';
import { isTimeZone } from '../../tenants/timezone.ts';
import { platformAudit } from '../audit/platform.ts';
import { audit } from '../audit/service.ts';
import { hashPassword } from '../auth/password.ts';
import { AppError, conflict, type FieldError, invalid, notFound } from '../errors.ts';
import { type UpdateSchoolInput, updateSchoolInput } from '../school/schema.ts';
import { updateSchool } from '../school/service.ts';
import { createScope, type Scope, type Tenant } from '../scope.ts';
import { startEmailVerification } from '../users/email-verification.ts';
import type { User } from '../users/model.ts';
import { createUserInput } from '../users/schema.ts';
import { createUser } from '../users/service.ts';
import { redirectHolding } from './renames.ts';

export type NewTenant = {
  slug: string;
  name: string;
  timezone?: string;
  /** A plan from configuration: the school starts its free trial on it. */
  plan?: { id: string; seat_limit: number | null; trialDays: number };
  admin: { email: string; first_name?: string; last_name?: string; password?: string };
  /** Self-service signup: the admin must confirm their email before inviting anyone. */
  verifyAdminEmail?: boolean;
  /** Runs inside the creating transaction, in the new school's session: where the welcome
   * email is queued (api/jobs/outbox.ts), so it commits with the school or not at all. */
  onCreated?: (db: Knex.Transaction, created: { tenant: Tenant; admin: User; verificationToken: string | undefined }) => Promise<void>;
};

/** Who did it: the OS user and host for the CLI (cli/base.ts), 'signup' or 'demo-seed' otherwise;
 * `via` says through what ('cli'; 'system' when unset). */
export type Operator = { label: string; via?: string };

export async function createTenant(
  owner: Knex,
  input: NewTenant,
  operator: Operator,
): Promise<{ tenant: Tenant; admin: User; generatedPassword: string | undefined; verificationToken: string | undefined }> {
  const slug = input.slug.trim().toLowerCase();
  const problems: FieldError[] = [];
  const slugIssue = slugProblem(slug);
  if (slugIssue) problems.push({ in: 'body', field: 'slug', message: slugIssue });
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) problems.push({ in: 'body', field: 'name', message: 'must be 1–200 characters' });
  const timezone = input.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) problems.push({ in: 'body', field: 'timezone', message: `"${timezone}" is not an IANA time zone such as Europe/London` });
  const generatedPassword = input.admin.password ? undefined : randomBytes(12).toString('base64url');
  const admin = createUserInput.safeParse({
    email: input.admin.email,
    first_name: input.admin.first_name ?? 'School',
    last_name: input.admin.last_name ?? 'Admin',
    role: 'admin',
    password: input.admin.password ?? generatedPassword,
  });
  if (!admin.success) {
    for (const issue of admin.error.issues) problems.push({ in: 'body', field: `admin_${issue.path.join('.')}`, message: issue.message });
  }
  if (problems.length > 0 || !admin.success) throw invalid(problems, problems.map((p) => `${p.field} ${p.message}`).join('; '));
  // Hashed before the transaction: it would otherwise hold the new slug's lock for ~0.3 s.
  const passwordHash = admin.data.password ? await hashPassword(admin.data.password) : undefined;

  return withPlatform(owner, async (db) => {
    const taken = await db('tenants').where({ slug }).first('id');
    if (taken || (await redirectHolding(db, slug))) throw conflict(`The subdomain "${slug}" is already taken.`, { field: 'slug' });
    const alike = await db('tenants')
      .where({ slug_skeleton: slugSkeleton(slug) })
      .first('slug');
    if (alike || (await redirectHolding(db, slug, { lookalike: true })))
      throw conflict(`The subdomain "${slug}" looks too much like an existing school's; choose another.`, { field: 'slug' });
    const trial = input.plan
      ? {
          plan: input.plan.id,
          seat_limit: input.plan.seat_limit,
          billing_status: 'trialing',
          trial_ends_at: new Date(Date.now() + input.plan.trialDays * 86_400_000),
        }
      : {};
    const [created] = await db('tenants')
      .insert({ slug, slug_skeleton: slugSkeleton(slug), name, timezone, ...trial })
      .returning('id');
    await platformAudit(db, operator, 'tenant.created', { id: created.id, slug }, { name, ...(input.plan ? { plan: input.plan.id } : {}) });
    const tenant = await beginTenantSession(db, { id: created.id });
    const scope = operatorScope(db, tenant, operator);
    await audit(scope, 'tenant.created', { type: 'tenant', id: tenant.id }, { slug });
    const user = await createUser(scope, admin.data, passwordHash ? { passwordHash } : {});
    const verificationToken = input.verifyAdminEmail ? await startEmailVerification(scope, user.id) : undefined;
    await input.onCreated?.(db, { tenant, admin: user, verificationToken });
    return { tenant, admin: user, generatedPassword, verificationToken };
  });
}

export function operatorScope(db: Knex.Transaction, tenant: Tenant, operator: Operator): Scope {
  const actor = { type: 'operator' as const, label: operator.label };
  return createScope({ db, tenant, actor });
}

export async function listTenants(owner: Knex, filter: { status?: 'active' | 'suspended' } = {}): Promise<Tenant[]> {
  const query = owner<Tenant>('tenants').orderBy('slug');
  if (filter.status) query.where({ status: filter.status });
  return query;
}

export async function findTenant(owner: Knex, slug: string): Promise<Tenant> {
  const tenant = await owner<Tenant>('tenants').where({ slug: slug.toLowerCase() }).first();
  if (!tenant) throw notFound(`The school "${slug}"`);
  return tenant;
}

export type TenantSummary = Tenant & { people: Record<string, number>; classes: number };

export async function showTenant(owner: Knex, slug: string): Promise<TenantSummary> {
  const found = await findTenant(owner, slug);
  return withPlatform(owner, async (db) => {
    const tenant = await beginTenantSession(db, { id: found.id });
    const byRole = await db('users').select('role').count<{ role: string; count: string }[]>('* as count').where({ status: 'active' }).groupBy('role');
    const [classes] = await db('classes').count<{ count: string }[]>('* as count');
    const people: Record<string, number> = { admin: 0, teacher: 0, student: 0 };
    for (const row of byRole) people[row.role] = Number(row.count);
    return { ...tenant, people, classes: Number(classes?.count ?? 0) };
  });
}

export async function setTenantStatus(
  owner: Knex,
  slug: string,
  change: { status: 'suspended'; reason: string } | { status: 'active' },
  operator: Operator,
): Promise<Tenant> {
  if (change.status === 'suspended' && change.reason.trim().length === 0) {
    throw new AppError('validation-failed', 'Give a reason: it is shown to the school’s users.');
  }
  return withPlatform(owner, async (db) => {
    const current = await db<Tenant>('tenants').where({ slug: slug.toLowerCase() }).forUpdate().first();
    if (!current) throw notFound(`The school "${slug}"`);
    await db('tenants')
      .where({ id: current.id })
      .update({ status: change.status, suspended_reason: change.status === 'suspended' ? change.reason.trim() : null, updated_at: db.fn.now() });
    await platformAudit(
      db,
      operator,
      change.status === 'suspended' ? 'tenant.suspended' : 'tenant.resumed',
      { id: current.id, slug: current.slug },
      change.status === 'suspended' ? { reason: change.reason.trim() } : {},
    );
    const tenant = await beginTenantSession(db, { id: current.id });
    await audit(
      operatorScope(db, tenant, operator),
      change.status === 'suspended' ? 'tenant.suspended' : 'tenant.resumed',
      { type: 'tenant', id: tenant.id },
      change.status === 'suspended' ? { reason: change.reason } : {},
    );
    return tenant;
  });
}

export type TenantChanges = { seat_limit?: number | null; settings?: UpdateSchoolInput };

/** Operators change a school's plan limits and settings; settings go through the same service
 * (and validation) as the admin API. */
export async function configureTenant(owner: Knex, slug: string, changes: TenantChanges, operator: Operator): Promise<Tenant> {
  const found = await findTenant(owner, slug);
  if (changes.settings) {
    const parsed = updateSchoolInput.safeParse(changes.settings);
    if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ in: 'body', field: i.path.join('.'), message: i.message })));
  }
  return withPlatform(owner, async (db) => {
    await platformAudit(db, operator, 'tenant.configured', { id: found.id, slug: found.slug }, { ...changes });
    if (changes.seat_limit !== undefined) {
      await db('tenants').where({ id: found.id }).update({ seat_limit: changes.seat_limit, updated_at: db.fn.now() });
    }
    const tenant = await beginTenantSession(db, { id: found.id });
    const scope = operatorScope(db, tenant, operator);
    if (changes.seat_limit !== undefined)
      await audit(scope, 'tenant.seat_limit_changed', { type: 'tenant', id: tenant.id }, { seat_limit: changes.seat_limit });
    if (changes.settings && Object.keys(changes.settings).length > 0) await updateSchool(scope, changes.settings);
    return scope.tenant;
  });
}

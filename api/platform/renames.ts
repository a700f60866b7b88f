// Renaming a school's subdomain. The old address keeps working as a permanent redirect (308, so
// a form's POST stays a POST) for REDIRECT_DAYS, and while it does, nobody else can take it or a
// look-alike of it: links in old emails and bookmarks cannot land on another school. After that
// the old subdomain is free again. Tables: tenant_slug_redirects (migrations/20261127000400).
import type { Knex } from 'knex';
import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import { slugProblem, slugSkeleton } from '../../tenants/slug.ts';
import { platformAudit } from '../audit/platform.ts';
import { audit } from '../audit/service.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import type { Tenant } from '../scope.ts';
import { type Operator, operatorScope } from './provision.ts';

export const REDIRECT_DAYS = 90;
const DAY = 86_400_000;

/** Whether a live redirect holds this subdomain (or, with lookalike, one that looks like it),
 * other than one of `exceptSchool`'s own. */
export async function redirectHolding(
  db: Knex | Knex.Transaction,
  slug: string,
  options: { lookalike?: boolean; exceptSchool?: string } = {},
): Promise<boolean> {
  const q = db('tenant_slug_redirects').where('expires_at', '>', db.fn.now());
  if (options.lookalike) q.where({ old_skeleton: slugSkeleton(slug) });
  else q.where({ old_slug: slug });
  if (options.exceptSchool) q.whereNot({ school_id: options.exceptSchool });
  return Boolean(await q.first('old_slug'));
}

/** A deleted school's subdomain is held for REDIRECT_DAYS like a renamed one's, without a
 * redirect: until then nobody can take it or a look-alike (a new owner would receive old links
 * and a district IdP's sign-ins), and only a restore of that school's own backup may use it
 * (api/backup/service.ts). Returns when the hold ends. */
export async function holdDeletedSlug(db: Knex.Transaction, schoolId: string, slug: string): Promise<Date> {
  const until = new Date(Date.now() + REDIRECT_DAYS * DAY);
  await db('tenant_slug_redirects')
    .insert({ old_slug: slug, old_skeleton: slugSkeleton(slug), school_id: schoolId, created_at: new Date(), expires_at: until, reason: 'deleted' })
    .onConflict('old_slug')
    .merge();
  return until;
}

/** Where an old subdomain now lives, if it was renamed and the redirect has not expired at `at`.
 * Runs as the app role (select on tenants and tenant_slug_redirects). */
export async function renamedTo(db: Knex, oldSlug: string, at: Date): Promise<string | undefined> {
  const row = await db('tenant_slug_redirects as r')
    .join('tenants as t', 't.id', 'r.school_id')
    .where('r.old_slug', oldSlug)
    .where('r.expires_at', '>', at)
    .first('t.slug');
  return row?.slug;
}

/** `sso_connections`: SAML connections whose identity provider must learn the new addresses. */
export type RenameResult = { tenant: Tenant; from: string; redirect_until: string; sso_connections: number };

export async function renameTenant(owner: Knex, slug: string, newSlug: string, operator: Operator, options: { now?: Date } = {}): Promise<RenameResult> {
  const target = newSlug.trim().toLowerCase();
  const problem = slugProblem(target);
  if (problem) throw new AppError('validation-failed', `Not a valid subdomain: ${problem}.`);
  const at = options.now ?? new Date();
  return withPlatform(owner, async (db) => {
    const current = await db<Tenant & { slug_skeleton: string }>('tenants').where({ slug: slug.toLowerCase() }).forUpdate().first();
    if (!current) throw notFound(`The school "${slug}"`);
    if (current.slug === target) throw new AppError('validation-failed', `The school is already at "${target}".`);
    const skeleton = slugSkeleton(target);
    if ((await db('tenants').where({ slug: target }).first('id')) || (await redirectHolding(db, target, { exceptSchool: current.id }))) {
      throw conflict(`The subdomain "${target}" is already taken.`);
    }
    const alike = await db('tenants').where({ slug_skeleton: skeleton }).whereNot({ id: current.id }).first('slug');
    if (alike || (await redirectHolding(db, target, { lookalike: true, exceptSchool: current.id }))) {
      throw conflict(`The subdomain "${target}" looks too much like an existing school's; choose another.`);
    }
    // Renaming back to an old name of its own: that redirect ends (the school answers there again).
    await db('tenant_slug_redirects').where({ school_id: current.id, old_slug: target }).delete();
    const until = new Date(at.getTime() + REDIRECT_DAYS * DAY);
    await db('tenant_slug_redirects')
      .insert({ old_slug: current.slug, old_skeleton: slugSkeleton(current.slug), school_id: current.id, created_at: at, expires_at: until })
      .onConflict('old_slug')
      .merge();
    await db('tenants').where({ id: current.id }).update({ slug: target, slug_skeleton: skeleton, updated_at: db.fn.now() });
    await platformAudit(
      db,
      operator,
      'tenant.renamed',
      { id: current.id, slug: target },
      { from: current.slug, to: target, redirect_until: until.toISOString() },
    );
    const tenant = await beginTenantSession(db, { id: current.id });
    await audit(operatorScope(db, tenant, operator), 'tenant.renamed', { type: 'tenant', id: tenant.id }, { from: current.slug, to: target });
    const [sso] = await db('saml_connections').count<{ n: string }[]>({ n: '*' });
    return { tenant, from: current.slug, redirect_until: until.toISOString(), sso_connections: Number(sso?.n ?? 0) };
  });
}

// Signing a school up, for the API (POST /api/v1/signup) and the platform site's form (api/web/
// platform.ts): one function, so both refuse and create alike. Also the live subdomain check.
import type { Logger } from 'pino';
import { z } from 'zod';
import { RESERVED_SLUGS, slugProblem, slugSkeleton } from '../../tenants/slug.ts';
import { timeZoneInput } from '../../tenants/timezone.ts';
import type { AppDeps } from '../app-deps.ts';
import { planById, planIdInput } from '../billing/plans.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import { createTenant } from '../platform/provision.ts';
import { redirectHolding } from '../platform/renames.ts';
import { email, password } from '../users/schema.ts';

/**
 * A name, not a message: the confirmation email repeats the school's and the admin's names to an
 * address nobody has confirmed yet (anyone can type someone else's), so they may hold letters,
 * digits, spaces and . , ' ’ & ( ) - only, with no link or address in them ("evil.test", "a@b",
 * "https://") and no phone-number-like run of digits. Names can be changed after confirming.
 */
const plainName = (min: number, max: number) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(/^[\p{L}\p{M}\p{Nd} .,'’&()-]+$/u, "may hold letters, digits, spaces and . , ' & ( ) - only")
    .refine((v) => !/[\p{L}\p{Nd}]{2,}\.\p{L}{2,}/u.test(v), 'must not contain a web or email address')
    .refine((v) => !/\p{Nd}{5}/u.test(v.replace(/[ .()-]/g, '')), 'must not contain a phone number');

export const signupInput = z.strictObject({
  school_name: plainName(2, 100),
  subdomain: z.string().trim().toLowerCase().min(3).max(63),
  admin_first_name: plainName(1, 60),
  admin_last_name: plainName(1, 60),
  email,
  password,
  timezone: timeZoneInput,
  plan: planIdInput,
  website: z.string().max(200).optional().describe('Leave empty (it is a trap for bots).'),
});
export type SignupInput = z.infer<typeof signupInput>;

export type SignedUp = {
  school: { id: string; slug: string; name: string; url: string };
  admin: { id: string; email: string };
  trial_ends_at: string | null;
  /** A bot filled the hidden field: nothing was created. */
  trap: boolean;
};

/** Creates the school, its first admin and the trial; the confirmation email is queued with it. */
export async function signUpSchool(deps: AppDeps, body: SignupInput, log: Logger): Promise<SignedUp> {
  if (body.website) {
    // A bot filled the hidden field: answer like a success, create nothing.
    log.warn({ reason: 'honeypot' }, 'signup refused');
    const url = schoolUrl(deps.config, body.subdomain);
    return { school: { id: '', slug: body.subdomain, name: body.school_name, url }, admin: { id: '', email: body.email }, trial_ends_at: null, trap: true };
  }
  const plan = planById(deps.plans, body.plan);
  if (!plan)
    throw new AppError('validation-failed', 'Unknown plan.', {
      errors: [{ in: 'body', field: 'plan', message: `must be one of ${deps.plans.map((p) => p.id).join(', ')}` }],
    });
  const created = await createTenant(
    deps.dbs.owner,
    {
      slug: body.subdomain,
      name: body.school_name,
      timezone: body.timezone,
      plan: { id: plan.id, seat_limit: plan.seat_limit, trialDays: deps.config.trialDays },
      admin: { email: body.email, first_name: body.admin_first_name, last_name: body.admin_last_name, password: body.password },
      verifyAdminEmail: true,
      // Queued with the new school (the outbox): the school and its confirmation email commit together.
      onCreated: (db, { tenant, admin, verificationToken }) =>
        enqueueMail(
          { db, tenant, ...(deps.jobs ? { outbox: { jobs: deps.jobs, box: deps.secretBox } } : {}) },
          {
            to: admin.email,
            template: 'verify-email',
            data: {
              first_name: admin.first_name,
              school_name: tenant.name,
              verify_url: `${schoolUrl(deps.config, tenant.slug)}/verify-email?token=${verificationToken}`,
            },
          },
        ).then(() => undefined),
    },
    { label: 'signup' },
  );
  return {
    school: { id: created.tenant.id, slug: created.tenant.slug, name: created.tenant.name, url: schoolUrl(deps.config, created.tenant.slug) },
    admin: { id: created.admin.id, email: created.admin.email },
    trial_ends_at: created.tenant.trial_ends_at ? new Date(created.tenant.trial_ends_at).toISOString() : null,
    trap: false,
  };
}

export type SubdomainStatus = {
  subdomain: string;
  available: boolean;
  reason: 'format' | 'reserved' | 'reserved-lookalike' | 'taken' | 'lookalike' | null;
  /** Why not, in words a person reads next to the field. */
  message: string | null;
};

/** Whether a school could take this subdomain now, and if not why, in words. Subdomains are
 * public (they are DNS names), so saying one is taken reveals nothing. Signup checks again. */
export async function subdomainStatus(deps: Pick<AppDeps, 'dbs'>, raw: string): Promise<SubdomainStatus> {
  const subdomain = raw.trim().toLowerCase();
  const no = (reason: NonNullable<SubdomainStatus['reason']>, message: string): SubdomainStatus => ({ subdomain, available: false, reason, message });
  const problem = slugProblem(subdomain);
  if (problem) {
    const skeleton = slugSkeleton(subdomain);
    if (RESERVED_SLUGS.has(subdomain) || / is reserved$/.test(problem))
      return no('reserved', `“${subdomain}” is reserved for Edify itself or for email and network setup. Choose another.`);
    const reserved = [...RESERVED_SLUGS].find((name) => slugSkeleton(name) === skeleton);
    if (reserved)
      return no(
        'reserved-lookalike',
        `“${subdomain}” looks too much like the reserved name “${reserved}”: people could mistake one for the other. Choose another.`,
      );
    return no('format', `An address ${problem}.`);
  }
  const row = await deps.dbs
    .owner('tenants')
    .where({ slug: subdomain })
    .orWhere({ slug_skeleton: slugSkeleton(subdomain) })
    .first('slug');
  if (row?.slug === subdomain) return no('taken', `“${subdomain}” is already taken.`);
  if (row)
    return no(
      'lookalike',
      `“${subdomain}” looks too much like the address of a school already on Edify (letters such as 1 and l, 0 and o, rn and m read alike). Choose another.`,
    );
  // A renamed school's old address still redirects to it for a while (api/platform/renames.ts).
  if (await redirectHolding(deps.dbs.owner, subdomain)) return no('taken', `“${subdomain}” is already taken.`);
  if (await redirectHolding(deps.dbs.owner, subdomain, { lookalike: true }))
    return no('lookalike', `“${subdomain}” looks too much like the address of a school already on Edify. Choose another.`);
  return { subdomain, available: true, reason: null, message: null };
}

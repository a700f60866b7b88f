// Self-service signup on the platform (apex) host, and email confirmation on the school's host.
// The school starts a free trial on the chosen plan; its admin confirms their email before they
// can invite anyone. Abuse: rate limited per IP, and a honeypot field that people never fill in.
import { z } from 'zod';
import { createTenant } from '../../tenants/provision.ts';
import { isTimeZone } from '../../tenants/timezone.ts';
import { planById } from '../billing/plans.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { LIMITS } from '../http/rate-limit.ts';
import { platformRoute, tenantRoute } from '../http/route.ts';
import { enqueueMail } from '../jobs/outbox.ts';
import { confirmEmail } from '../users/email-verification.ts';
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

const signupInput = z.strictObject({
  school_name: plainName(2, 100),
  subdomain: z.string().trim().toLowerCase().min(3).max(63),
  admin_first_name: plainName(1, 60),
  admin_last_name: plainName(1, 60),
  email,
  password,
  timezone: z.string().refine(isTimeZone, 'is not an IANA time zone such as Europe/London'),
  plan: z.string().min(1).max(50),
  website: z.string().max(200).optional().describe('Leave empty (it is a trap for bots).'),
});

const signupView = z.object({
  school: z.object({ slug: z.string(), name: z.string(), url: z.string() }),
  admin: z.object({ email: z.string() }),
  trial_ends_at: z.string().nullable(),
  next: z.string().describe('Where to send the browser: the school’s own address.'),
});

export const signupRoutes = [
  platformRoute({
    method: 'post',
    path: '/api/v1/signup',
    summary: 'Sign a school up: its subdomain, its first admin, a free trial',
    description:
      'Refuses reserved, taken and look-alike subdomains (e.g. "1incoln" next to "lincoln"). The admin gets an email to confirm their address before they can invite people.',
    tags: ['signup'],
    body: signupInput,
    limits: [{ name: 'signup', max: 20, durationMs: 60 * 60_000 }, LIMITS.writes],
    responses: { 201: { description: 'Created; go to next', schema: signupView } },
    handler: async ({ body, deps, ctx }) => {
      if (body.website) {
        // A bot filled the hidden field: answer like a success, create nothing.
        ctx.state.log.warn({ reason: 'honeypot' }, 'signup refused');
        const url = schoolUrl(deps.config, body.subdomain);
        return {
          status: 201,
          body: { school: { slug: body.subdomain, name: body.school_name, url }, admin: { email: body.email }, trial_ends_at: null, next: url },
        };
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
      const url = schoolUrl(deps.config, created.tenant.slug);
      return {
        status: 201,
        headers: { Location: url },
        body: {
          school: { slug: created.tenant.slug, name: created.tenant.name, url },
          admin: { email: created.admin.email },
          trial_ends_at: created.tenant.trial_ends_at ? new Date(created.tenant.trial_ends_at).toISOString() : null,
          next: url,
        },
      };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/auth/verify-email',
    summary: 'Confirm an email address with the emailed token',
    tags: ['auth'],
    access: 'public',
    allowReadOnly: true,
    body: z.strictObject({ token: z.string().min(20).max(200) }),
    limits: [LIMITS.inviteAccept],
    responses: { 204: { description: 'Confirmed' } },
    handler: async ({ scope, body }) => {
      await confirmEmail(scope, body.token);
      return {};
    },
  }),
];

// Self-service signup on the platform (apex) host, and email confirmation on the school's host.
// The school starts a free trial on the chosen plan; its admin confirms their email before they
// can invite anyone. Abuse: rate limited per IP, and a honeypot field that people never fill in.
import { z } from 'zod';
import { LIMITS } from '../http/rate-limit.ts';
import { platformRoute, tenantRoute } from '../http/route.ts';
import { confirmEmail } from '../users/email-verification.ts';
import { handoffRoutes } from './handoff.ts';
import { signUpSchool, signupInput, subdomainStatus } from './service.ts';

const signupView = z.object({
  school: z.object({ slug: z.string(), name: z.string(), url: z.string() }),
  admin: z.object({ email: z.string() }),
  trial_ends_at: z.string().nullable(),
  next: z.string().describe('Where to send the browser: the school’s own address.'),
});

const subdomainView = z.object({
  subdomain: z.string(),
  available: z.boolean(),
  reason: z.enum(['format', 'reserved', 'reserved-lookalike', 'taken', 'lookalike']).nullable(),
  message: z.string().nullable(),
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
      const done = await signUpSchool(deps, body, ctx.state.log);
      const { url, slug, name } = done.school;
      return {
        status: 201,
        ...(done.trap ? {} : { headers: { Location: url } }),
        body: { school: { slug, name, url }, admin: { email: done.admin.email }, trial_ends_at: done.trial_ends_at, next: url },
      };
    },
  }),
  platformRoute({
    method: 'get',
    path: '/api/v1/signup/subdomain',
    summary: 'Whether a subdomain can be signed up, and if not why (the signup form asks as you type)',
    description:
      'Refusals: format, reserved, reserved-lookalike, taken, lookalike (e.g. "1incoln" next to "lincoln"), with a message to show. Signup checks again.',
    tags: ['signup'],
    query: z.object({ name: z.string().max(100) }),
    limits: [{ name: 'subdomain-check', max: 300, durationMs: 10 * 60_000 }],
    responses: { 200: { description: 'The verdict', schema: subdomainView } },
    handler: async ({ query, deps }) => ({ body: await subdomainStatus(deps, query.name), headers: { 'Cache-Control': 'no-store' } }),
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
  ...handoffRoutes,
];

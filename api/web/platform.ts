// The platform site on the apex host: the landing page with the plans (from the plans
// configuration), the school signup form (with a live subdomain check, signup.js calling
// GET /api/v1/signup/subdomain) and "find my school". Forms post and redirect or re-render with
// each field's message, as school pages do; the Origin check of page routes (api/http/route.ts)
// refuses a form posted from another site.
//
// After signup the new admin is carried to the school's own host signed in, by a form that posts
// a 10-minute, single-use hand-off token to <school>/welcome (api/signup/handoff.ts). The token is
// in the HTML of the signup answer only (never in an address, so never in logs, history or a
// Referer), and the school accepts it only from a form on the platform site (its Origin), so no
// other site can sign a visitor into a school of its choosing.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.ts';
import { issueHandoffToken } from '../auth/tokens.ts';
import { AppError } from '../errors.ts';
import { bodyField } from '../http/rate-limit.ts';
import { platformRoute } from '../http/route.ts';
import { requestSchoolSearch } from '../signup/find-school.ts';
import { signUpSchool, signupInput } from '../signup/service.ts';
import { checkForm, type FieldErrors } from './forms.ts';
import { renderPage } from './render.ts';
import { phrase } from './words.ts';

const ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');
const html = { 200: { description: 'HTML page', contentType: 'text/html' } };

function plansView(deps: AppDeps, chosen?: string) {
  return deps.plans.map((p, i) => ({
    id: p.id,
    name: p.name,
    seats: p.seat_limit,
    storage: p.storage_gb,
    sso: p.features.includes('sso'),
    support: p.features.includes('priority_support'),
    chosen: chosen ? p.id === chosen : i === 0,
  }));
}

/** The school's own origin, on the scheme and port this request came in on (the apex host). */
function schoolOrigin(ctx: Context, deps: AppDeps, slug: string): string {
  if (deps.config.env === 'production') return `https://${slug}.${deps.config.baseDomain}`;
  const port = /:(\d+)$/.exec(ctx.host)?.[1];
  return `${ctx.protocol}://${slug}.${deps.config.baseDomain}${port ? `:${port}` : ''}`;
}

const signupForm = z.object({
  school_name: z.string().max(500).default(''),
  subdomain: z.string().max(500).default(''),
  admin_first_name: z.string().max(500).default(''),
  admin_last_name: z.string().max(500).default(''),
  email: z.string().max(500).default(''),
  password: z.string().max(2000).default(''),
  timezone: z.string().max(100).default('UTC'),
  plan: z.string().max(50).default(''),
  website: z.string().max(200).optional(),
});
type SignupForm = z.infer<typeof signupForm>;

// The service's field names → the form's.
const FIELD_OF: Record<string, string> = {
  slug: 'subdomain',
  name: 'school_name',
  admin_email: 'email',
  admin_password: 'password',
  admin_first_name: 'admin_first_name',
  admin_last_name: 'admin_last_name',
};

function signupPage(deps: AppDeps, values: Partial<SignupForm>, errors?: FieldErrors) {
  const zone = values.timezone || 'UTC';
  return renderPage('signup', {
    title: phrase('signup.title'),
    narrow: true,
    values: { ...values, password: '' },
    errors,
    zones: (ZONES.includes(zone) ? ZONES : [zone, ...ZONES]).map((id) => ({ id, selected: id === zone })),
    plans: plansView(deps, values.plan),
    host: deps.config.baseDomain,
  });
}

export const platformPages = [
  platformRoute({
    method: 'get',
    path: '/',
    summary: 'The platform home page: what Edify is, the plans, signing a school up, finding your school',
    tags: ['pages'],
    page: true,
    responses: html,
    handler: async ({ deps }) => ({
      html: renderPage('platform-home', { title: phrase('platform.title'), plans: plansView(deps), trialDays: deps.config.trialDays }),
    }),
  }),
  platformRoute({
    method: 'get',
    path: '/signup',
    summary: 'The school signup form',
    tags: ['pages'],
    page: true,
    query: z.object({ plan: z.string().max(50).optional() }),
    responses: html,
    handler: async ({ deps, query }) => ({ html: signupPage(deps, { plan: query.plan ?? '', timezone: 'UTC' }) }),
  }),
  platformRoute({
    method: 'post',
    path: '/signup',
    summary: 'Sign a school up (the form); then carry the new admin to the school, signed in',
    tags: ['pages'],
    page: true,
    form: true,
    body: signupForm,
    limits: [{ name: 'signup', max: 20, durationMs: 60 * 60_000 }],
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
    handler: async ({ deps, body, ctx }) => {
      const { website, ...fields } = body;
      const checked = checkForm(signupInput, { ...fields, ...(website ? { website } : {}) });
      if (!checked.ok) return { html: signupPage(deps, body, checked.errors), status: 422 };
      let done: Awaited<ReturnType<typeof signUpSchool>>;
      try {
        done = await signUpSchool(deps, checked.data, ctx.state.log);
      } catch (error) {
        if (!(error instanceof AppError) || !['validation-failed', 'conflict'].includes(error.code)) throw error;
        const errors: FieldErrors = {};
        for (const e of error.errors ?? []) errors[FIELD_OF[e.field] ?? e.field] ??= e.message;
        if (error.code === 'conflict') errors[FIELD_OF[String(error.extra?.field ?? 'slug')] ?? 'subdomain'] = error.message;
        return { html: signupPage(deps, body, errors), status: error.status };
      }
      const origin = schoolOrigin(ctx as unknown as Context, deps, done.school.slug);
      return {
        html: renderPage('signup-done', {
          title: phrase('signup.done_title'),
          narrow: true,
          schoolName: done.school.name,
          email: done.admin.email,
          address: new URL(origin).host,
          welcomeUrl: `${origin}/welcome`,
          token: done.trap ? undefined : await issueHandoffToken(deps.tokenKeys, done.school.id, done.admin.id),
          signInUrl: `${origin}/sign-in`,
        }),
      };
    },
  }),
  platformRoute({
    method: 'get',
    path: '/find-school',
    summary: '“Find my school”: the form',
    tags: ['pages'],
    page: true,
    responses: html,
    handler: async () => ({ html: renderPage('find-school', { title: phrase('find.title'), narrow: true }) }),
  }),
  platformRoute({
    method: 'post',
    path: '/find-school',
    summary: '“Find my school”: emails the address sign-in links for its schools; the page never says whether there were any',
    tags: ['pages'],
    page: true,
    form: true,
    body: z.object({ email: z.string().max(500).default('') }),
    limits: [
      { name: 'find-school', max: 10, durationMs: 60 * 60_000 },
      {
        // One address, whoever asks: nobody can fill someone's inbox from many addresses.
        name: 'find-school-address',
        max: 3,
        durationMs: 60 * 60_000,
        by: bodyField('email'),
        wholeSchool: true,
      },
    ],
    responses: html,
    handler: async ({ deps, body }) => {
      const checked = checkForm(z.object({ email: z.email('must be an email address') }), { email: body.email.trim() });
      if (!checked.ok)
        return { html: renderPage('find-school', { title: phrase('find.title'), narrow: true, email: body.email, errors: checked.errors }), status: 422 };
      // Queued, then answered the same way whatever is found: neither the page nor its timing
      // says whether the address belongs to any school.
      await requestSchoolSearch(deps, checked.data.email);
      return { html: renderPage('find-school', { title: phrase('find.title'), narrow: true, sent: true, email: checked.data.email }) };
    },
  }),
];

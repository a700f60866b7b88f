// The Koa app: the middleware chain, in reading order. Each route then runs its own chain
// (api/http/route.ts): body → validation → tenant session → authentication → CASL → handler.
import Router from '@koa/router';
import Koa from 'koa';
import type { AppDeps } from './app-deps.ts';
import { auditRoutes } from './audit/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { twoFactorRoutes } from './auth/two-factor-routes.ts';
import { billingRoutes } from './billing/routes.ts';
import { classRoutes } from './classes/routes.ts';
import { courseRoutes } from './courses/routes.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { enrolmentRoutes } from './enrolment/routes.ts';
import { AppError } from './errors.ts';
import { fileRoutes } from './files/routes.ts';
import { gradebookRoutes } from './gradebook/routes.ts';
import { guardianRoutes } from './guardians/routes.ts';
import { homeworkRoutes } from './homework/routes.ts';
import { clientAddress } from './http/client-address.ts';
import { cors } from './http/cors.ts';
import { healthRoutes } from './http/health.ts';
import { accessLog } from './http/logger.ts';
import { createMetrics, metricsRoute } from './http/metrics.ts';
import { openApiDocument } from './http/openapi.ts';
import { problemErrors } from './http/problem.ts';
import { redirectRenamed } from './http/renamed.ts';
import { requestId } from './http/request-id.ts';
import { type AnyRoute, mountRoutes, platformRoute } from './http/route.ts';
import { securityHeaders } from './http/security-headers.ts';
import { watchSlowQueries } from './http/slow.ts';
import type { AppState } from './http/state.ts';
import { tenancy } from './http/tenancy.ts';
import { noticeRoutes } from './notices/routes.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { quizRoutes } from './quizzes/routes.ts';
import { resourceRoutes } from './resources/routes.ts';
import { schoolRoutes } from './school/routes.ts';
import { searchRoutes } from './search/routes.ts';
import { signupRoutes } from './signup/routes.ts';
import { ssoRoutes } from './sso/routes.ts';
import { userRoutes } from './users/routes.ts';
import { problemPage } from './web/errors.ts';
import { webRoutes } from './web/routes.ts';

/** Every route of the product. The OpenAPI document and the route tests read this list. */
export function allRoutes(): AnyRoute[] {
  const routes: AnyRoute[] = [
    ...healthRoutes,
    ...webRoutes,
    ...authRoutes,
    ...twoFactorRoutes,
    ...userRoutes,
    ...classRoutes,
    ...courseRoutes,
    ...guardianRoutes,
    ...homeworkRoutes,
    ...resourceRoutes,
    ...noticeRoutes,
    ...notificationRoutes,
    ...fileRoutes,
    ...quizRoutes,
    ...gradebookRoutes,
    ...dashboardRoutes,
    ...searchRoutes,
    ...schoolRoutes,
    ...ssoRoutes,
    ...billingRoutes,
    ...enrolmentRoutes,
    ...auditRoutes,
    ...signupRoutes,
  ];
  const documents = new Map<string, unknown>();
  const openapi = platformRoute(
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This document: the school API on a school’s subdomain, the platform API on the apex',
      tags: ['meta'],
      responses: { 200: { description: 'OpenAPI 3.1' } },
      handler: async ({ deps, ctx }) => {
        const host = ctx.state.host.kind === 'tenant' ? 'tenant' : 'platform';
        let document = documents.get(host);
        if (!document) {
          const { baseDomain, port, env } = deps.config;
          document = openApiDocument(routes, { baseDomain, port, production: env === 'production', host, plans: deps.plans.map((p) => p.id) });
          documents.set(host, document);
        }
        return { body: document };
      },
    },
    'any',
  );
  routes.push(openapi, metricsRoute);
  return routes;
}

function dispatcher(router: Router<AppState>): Koa.Middleware<AppState> {
  const routes = router.routes() as unknown as Koa.Middleware<AppState>;
  const methods = router.allowedMethods({
    throw: true,
    methodNotAllowed: () => new AppError('method-not-allowed', 'This address does not accept that method.'),
    notImplemented: () => new AppError('method-not-allowed', 'That HTTP method is not supported.'),
  }) as unknown as Koa.Middleware<AppState>;
  return (ctx, next) => routes(ctx, () => methods(ctx, next));
}

export function buildApp(deps: AppDeps): Koa<AppState> {
  const { config } = deps;
  // Kept on deps (tests read deps.metrics): one registry per app unless the caller made one.
  deps.metrics ??= createMetrics();
  const metrics = deps.metrics;
  metrics.watchPool('app', deps.dbs.app);
  metrics.watchPool('owner', deps.dbs.owner);
  metrics.watchLimiter(deps.limiter);
  if (deps.jobs) metrics.watchJobs(deps.jobs);
  const slowQueries = { thresholdMs: config.observability.slowQueryMs, log: deps.log };
  watchSlowQueries(deps.dbs.app, { pool: 'app', ...slowQueries });
  watchSlowQueries(deps.dbs.owner, { pool: 'owner', ...slowQueries });
  // Read when an error happens, so it can be set after the app is built (tests).
  const onInternal = (error: unknown, ctx: Koa.ParameterizedContext<AppState>) =>
    void deps.errorReporter?.report(error, { method: ctx.method, route: (ctx as { _matchedRoute?: string })._matchedRoute, requestId: ctx.state.requestId });
  const app = new Koa<AppState>({ proxy: config.trustProxy, maxIpsCount: config.proxyHops ?? 0 });
  const routes = allRoutes();
  const anyHost = new Router<AppState>();
  const platform = new Router<AppState>();
  const tenant = new Router<AppState>();
  mountRoutes(
    anyHost,
    routes.filter((r) => r.host === 'any'),
    deps,
  );
  mountRoutes(
    platform,
    routes.filter((r) => r.host === 'platform'),
    deps,
  );
  mountRoutes(
    tenant,
    routes.filter((r) => r.host === 'tenant'),
    deps,
  );

  app.use(clientAddress(config));
  app.use(requestId());
  app.use(accessLog(deps.log, { slowRequestMs: config.observability.slowRequestMs }));
  app.use(metrics.middleware);
  app.use(problemErrors(problemPage, onInternal));
  app.use(securityHeaders(config.env === 'production'));
  app.use(tenancy(config));
  app.use(cors(deps.dbs.app, deps.clock));
  app.use(anyHost.routes());
  const dispatch = { tenant: redirectRenamed(deps, dispatcher(tenant)), platform: dispatcher(platform) };
  app.use(async (ctx, next) => {
    const host = ctx.state.host;
    if (host.kind === 'foreign') throw new AppError('not-found', 'No school is served at this address.');
    await dispatch[host.kind](ctx, next);
  });
  return app;
}

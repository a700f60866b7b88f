// SAML endpoints on each school's subdomain (metadata, login, ACS) and the admin API for
// connections. docs/sso.md explains the flow for school IT admins.
import { z } from 'zod';
import { planAllows } from '../billing/plans.ts';
import { schoolUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import { LIMITS } from '../http/rate-limit.ts';
import { tenantRoute } from '../http/route.ts';
import {
  createConnection,
  listConnections,
  presentConnection,
  recentAttempts,
  refreshConnectionMetadata,
  removeConnection,
  updateConnection,
} from './connections.ts';
import { consumeAssertion, spMetadata, startLogin } from './login.ts';
import { attemptView, connectionSettings, connectionView, createConnectionInput } from './schema.ts';

const connectionParams = z.object({ connection: z.uuid() });
const idParams = z.object({ id: z.uuid() });
const siteOf = (deps: { config: Parameters<typeof schoolUrl>[0] }, slug: string) => schoolUrl(deps.config, slug);

export const ssoRoutes = [
  tenantRoute({
    method: 'get',
    path: '/auth/saml/:connection/metadata',
    summary: 'Service provider metadata for the district’s IdP',
    tags: ['sso'],
    access: 'public',
    params: connectionParams,
    responses: { 200: { description: 'SAML metadata XML', contentType: 'application/samlmetadata+xml' } },
    handler: async ({ scope, params, deps }) => ({
      body: await spMetadata(scope, deps, params.connection),
      headers: { 'Content-Type': 'application/samlmetadata+xml; charset=utf-8' },
    }),
  }),
  tenantRoute({
    method: 'get',
    path: '/auth/saml/:connection/login',
    summary: 'Sign in through the district’s IdP (redirects there)',
    tags: ['sso'],
    access: 'public',
    params: connectionParams,
    query: z.object({ return_to: z.string().max(500).optional().describe('A path on this school’s site to land on afterwards.') }),
    writes: true,
    allowReadOnly: true,
    // Each start remembers a request ID (saml_requests, pruned by pruneSamlState).
    limits: [LIMITS.samlLogin, LIMITS.samlLoginSchool],
    responses: { 302: { description: 'To the IdP, with a SAML AuthnRequest' } },
    handler: async ({ scope, params, query, deps, ctx }) => ({ redirect: await startLogin(scope, deps, params.connection, query.return_to, ctx.host) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/auth/saml/:connection/acs',
    summary: 'Assertion consumer service: the IdP posts its SAML response here',
    tags: ['sso'],
    access: 'public',
    params: connectionParams,
    form: true,
    allowReadOnly: true,
    body: z.object({ SAMLResponse: z.string().max(1_000_000).optional(), RelayState: z.string().max(1000).optional() }),
    limits: [LIMITS.loginSpray],
    responses: {
      302: { description: 'Signed in: a session cookie is set and the browser goes to RelayState' },
      401: { description: 'An HTML page explaining what to do' },
    },
    handler: async ({ scope, params, deps, ctx }) => consumeAssertion(ctx, scope, deps, params.connection),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/sso/connections',
    summary: 'This school’s SAML connections',
    tags: ['sso'],
    access: { action: 'read', subject: 'SsoConnection' },
    responses: { 200: { description: 'Connections', schema: z.object({ data: z.array(connectionView) }) } },
    handler: async ({ scope, deps }) => ({ body: { data: (await listConnections(scope)).map((c) => presentConnection(c, siteOf(deps, scope.tenant.slug))) } }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/sso/connections',
    summary: 'Add a SAML connection from the IdP’s metadata',
    description:
      'Bad metadata (not XML, no signing certificate, no SSO endpoint, only expired certificates) is refused with the precise reason; nothing is saved.',
    tags: ['sso'],
    access: { action: 'manage', subject: 'SsoConnection' },
    body: createConnectionInput,
    responses: { 201: { description: 'Created; give the IdP the sp_entity_id and acs_url (or the metadata_url)', schema: connectionView } },
    handler: async ({ scope, body, deps }) => {
      if (!planAllows(deps.plans, scope.tenant.plan, 'sso')) {
        throw new AppError('plan-upgrade-required', 'Single sign-on is not part of this school’s plan. An admin can change the plan in Billing.');
      }
      const { metadata_xml, ...settings } = body;
      return { status: 201, body: presentConnection(await createConnection(scope, metadata_xml, settings), siteOf(deps, scope.tenant.slug)) };
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/sso/connections/:id',
    summary: 'Change a connection’s mapping and policy',
    tags: ['sso'],
    access: { action: 'manage', subject: 'SsoConnection' },
    params: idParams,
    body: connectionSettings,
    responses: { 200: { description: 'The connection', schema: connectionView } },
    handler: async ({ scope, params, body, deps }) => ({
      body: presentConnection(await updateConnection(scope, params.id, body), siteOf(deps, scope.tenant.slug)),
    }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/sso/connections/:id/metadata',
    summary: 'Replace the IdP metadata (certificate rotation)',
    tags: ['sso'],
    access: { action: 'manage', subject: 'SsoConnection' },
    params: idParams,
    body: z.strictObject({ metadata_xml: z.string().min(1).max(500_000) }),
    responses: { 200: { description: 'The connection', schema: connectionView } },
    handler: async ({ scope, params, body, deps }) => ({
      body: presentConnection(await refreshConnectionMetadata(scope, params.id, body.metadata_xml), siteOf(deps, scope.tenant.slug)),
    }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/sso/connections/:id',
    summary: 'Remove a connection',
    tags: ['sso'],
    access: { action: 'manage', subject: 'SsoConnection' },
    params: idParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ scope, params }) => {
      await removeConnection(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/sso/connections/:id/attempts',
    summary: 'The last 20 sign-in attempts through a connection, with reasons',
    tags: ['sso'],
    access: { action: 'read', subject: 'SsoConnection' },
    params: idParams,
    responses: { 200: { description: 'Newest first', schema: z.object({ data: z.array(attemptView) }) } },
    handler: async ({ scope, params }) => ({ body: { data: await recentAttempts(scope, params.id) } }),
  }),
];

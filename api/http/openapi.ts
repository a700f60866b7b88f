// The OpenAPI 3.1 documents, generated from the same route declarations and zod schemas that
// validate requests, so a document cannot drift from what the API accepts. Each host has its own:
// a school's subdomain documents the school API, the apex the platform API (signup, webhooks).
// What a route can answer besides success is derived from its declaration too (who may call it,
// what it validates, its limits), plus the problem codes it declares itself (`errors`).
import { z } from 'zod';
import { PLAN_ID_MARK } from '../billing/plans.ts';
import { PROBLEM_BASE, PROBLEMS, type ProblemCode } from '../errors.ts';
import { IDEMPOTENCY_HEADER } from './idempotency.ts';
import type { AnyRoute } from './route.ts';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', description: `Stable: ${PROBLEM_BASE}<code>`, enum: Object.keys(PROBLEMS).map((c) => `${PROBLEM_BASE}${c}`) },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What went wrong, for a person.' },
    instance: { type: 'string' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      description: 'validation-failed: each field that was refused.',
      items: {
        type: 'object',
        required: ['in', 'field', 'message'],
        properties: { in: { enum: ['body', 'query', 'params', 'headers'] }, field: { type: 'string' }, message: { type: 'string' } },
      },
    },
    row_errors: {
      type: 'array',
      description: 'Roster import: every problem of every row, by line (1 is the header) and column.',
      items: {
        type: 'object',
        required: ['line', 'column', 'reason'],
        properties: { line: { type: 'integer', minimum: 0 }, column: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    retry_after: {
      type: 'integer',
      minimum: 0,
      description: 'rate-limited, unavailable, database-unavailable: seconds to wait (also the Retry-After header).',
    },
  },
};

/** The problems a route can answer, by status, each with an example body. */
const ERROR_RESPONSES: Record<number, { description: string; code: ProblemCode; detail: string; retryAfter?: boolean }> = {
  400: { description: 'The body could not be read', code: 'malformed-json', detail: 'The request body is not valid JSON.' },
  401: {
    description: 'No valid access token or session',
    code: 'unauthenticated',
    detail: 'Sign in and send the access token as "Authorization: Bearer <token>".',
  },
  403: {
    description: 'Signed in, but not allowed (role, school read-only, two-factor enrolment pending)',
    code: 'forbidden',
    detail: 'You do not have permission to do this.',
  },
  404: { description: 'No such school, or no such record that you may see', code: 'not-found', detail: 'The record was not found.' },
  409: {
    description: 'The record’s state does not allow this (e.g. an archived class)',
    code: 'conflict',
    detail: 'This class is archived; bring it back to change it.',
  },
  413: { description: 'The body is larger than the server accepts', code: 'payload-too-large', detail: 'The request body is larger than 1mb.' },
  415: { description: 'Wrong content type', code: 'unsupported-media-type', detail: 'Send the request body as application/json.' },
  422: { description: 'Some input was refused; nothing changed', code: 'validation-failed', detail: 'Some fields are not valid; see errors.' },
  429: {
    description: 'Too many requests; wait Retry-After seconds',
    code: 'rate-limited',
    detail: 'Too many attempts. Try again in 30 seconds.',
    retryAfter: true,
  },
  503: {
    description: 'The database or a dependency is away; nothing changed; retry after Retry-After seconds',
    code: 'database-unavailable',
    detail: 'The database cannot be reached right now; nothing was changed. Try again in a moment.',
    retryAfter: true,
  },
};

const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } } };

function errorComponents(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, e] of Object.entries(ERROR_RESPONSES)) {
    const example: Record<string, unknown> = {
      type: `${PROBLEM_BASE}${e.code}`,
      title: PROBLEMS[e.code].title,
      status: Number(status),
      detail: e.detail,
      request_id: '01JD5Y3S7Z8Q9W2X4V6B8N0M2K',
    };
    if (e.code === 'validation-failed') example.errors = [{ in: 'body', field: 'name', message: 'Too small: expected string to have >=1 characters' }];
    if (e.retryAfter) example.retry_after = e.code === 'rate-limited' ? 30 : 5;
    out[`Problem${status}`] = {
      description: e.description,
      ...(e.retryAfter ? { headers: retryAfterHeader } : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example } },
    };
  }
  return out;
}

/** The error statuses a route can answer: from its declaration, plus the codes it declares. */
export function errorStatuses(route: AnyRoute): number[] {
  const statuses = new Set<number>();
  const tenant = route.host === 'tenant';
  const health = route.tags.includes('meta') || route.tags.includes('health');
  if (!health) statuses.add(503);
  if (tenant) {
    statuses.add(404); // an unknown school, or a record you may not see
    statuses.add(429); // every school route is limited per token; writes also per address
    if (route.access !== 'public') statuses.add(401).add(403);
    else if (route.method !== 'get') statuses.add(403); // a read-only school refuses writes
  }
  if (route.limits?.length) statuses.add(429);
  if (route.params || route.query || route.body || route.upload) statuses.add(422);
  if (route.body || route.upload) statuses.add(413).add(415);
  if (route.body && !route.form) statuses.add(400);
  if (route.idempotent) statuses.add(409).add(422);
  for (const code of route.errors ?? []) statuses.add(PROBLEMS[code].status);
  return [...statuses].filter((s) => ERROR_RESPONSES[s]).sort((a, b) => a - b);
}

const VERBS: Record<string, string> = { get: 'get', post: 'create', put: 'put', patch: 'update', delete: 'delete' };
const camel = (words: string[]) => words.map((w, i) => (i === 0 ? w : w[0]?.toUpperCase() + w.slice(1))).join('');
const singular = (w: string) =>
  /ies$/.test(w) ? `${w.slice(0, -3)}y` : /(ss|us)$/.test(w) ? w : /(ch|sh|x|ses)$/.test(w) ? w.replace(/es$/, '') : w.replace(/s$/, '');

/** A readable operation id from the method and path: `get /api/v1/classes` → listClasses,
 * `get /api/v1/classes/:id` → getClass, `post /api/v1/classes/:id/archive` → archiveClass,
 * `post /api/v1/auth/password-reset/confirm` → confirmAuthPasswordReset. A route may set its own. */
export function operationIdOf(route: AnyRoute): string {
  if (route.operationId) return route.operationId;
  const segments = route.path.split('/').filter((s) => s && s !== 'api' && !/^v\d+$/.test(s));
  const words = (segment: string) =>
    segment
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w.toLowerCase());
  const last = segments.at(-1) ?? 'root';
  const endsWithParam = last.startsWith(':');
  const resourceWords: string[] = [];
  segments.forEach((segment, i) => {
    if (segment.startsWith(':')) return;
    const next = segments[i + 1];
    const ws = words(segment);
    // A collection followed by its id names one of it: classes/:id → class.
    if (next?.startsWith(':') && ws.length) ws[ws.length - 1] = singular(ws[ws.length - 1] as string);
    resourceWords.push(...ws);
  });
  let verb = VERBS[route.method] ?? route.method;
  if (route.method === 'get' && !endsWithParam) verb = 'list';
  // Creating in a collection makes one of it: post /classes → createClass.
  if (route.method === 'post' && !endsWithParam && resourceWords.length && !ACTIONS.has(last)) {
    resourceWords[resourceWords.length - 1] = singular(resourceWords.at(-1) as string);
  }
  // A trailing action after an id or on a POST (archive, confirm, retry) is the verb itself.
  const prev = segments.at(-2);
  if (route.method === 'post' && !endsWithParam && segments.length > 1 && (prev?.startsWith(':') || ACTIONS.has(last))) {
    verb = words(last).join('-');
    resourceWords.splice(resourceWords.length - words(last).length, words(last).length);
  }
  if (route.method === 'get' && !endsWithParam && (prev?.startsWith(':') === false || segments.length === 1) && SINGLETONS.has(last)) verb = 'get';
  return camel([...verb.split('-'), ...resourceWords]);
}

/** POST path ends that are actions, not collections. */
const ACTIONS = new Set([
  'confirm',
  'refresh',
  'logout',
  'login',
  'verify',
  'enable',
  'disable',
  'reset',
  'sync',
  'archive',
  'unarchive',
  'publish',
  'submit',
  'accept',
  'join',
  'test',
  'unlock',
  'sign-out',
  'read',
  'read-all',
  'return',
  'checkout',
  'portal',
  'preview',
  'retry',
  'webhook',
  'acs',
  'recovery-codes',
]);
/** GET path ends that name one thing, not a list (`/me`, `/me/dashboard`, `/billing`). */
const SINGLETONS = new Set([
  'me',
  'dashboard',
  'billing',
  'school',
  'csrf',
  'metadata',
  'two-factor',
  'preferences',
  'gradebook',
  'healthz',
  'readyz',
  'openapi.json',
  'events',
]);

/** A value that the schema accepts, for the document's examples (checked against zod in a test). */
export function exampleOf(schema: JsonSchema, name = ''): unknown {
  if ('examples' in schema && Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if ('default' in schema && schema.default !== undefined) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as JsonSchema[] | undefined;
    if (options?.length && schema.type === undefined) return exampleOf(options.find((o) => o.type !== 'null') ?? (options[0] as JsonSchema), name);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) return exampleOf(schema.allOf[0] as JsonSchema, name);
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') as string) : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      // Of "exactly one of" field sets, the example takes the first.
      const firstSet = ((schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined)?.[0]?.required as string[] | undefined;
      const required = new Set([...((schema.required as string[] | undefined) ?? []), ...(firstSet ?? [])]);
      for (const [key, prop] of Object.entries(props)) if (required.has(key)) out[key] = exampleOf(prop, key);
      // A PATCH that needs at least one field gets its first.
      const first = Object.entries(props)[0];
      if (Object.keys(out).length < Number(schema.minProperties ?? 0) && first) out[first[0]] = exampleOf(first[1], first[0]);
      return out;
    }
    case 'array': {
      const min = Number(schema.minItems ?? 0);
      const item = exampleOf((schema.items ?? {}) as JsonSchema, name);
      return Array.from({ length: Math.max(min, 1) }, () => item);
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
      const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
      return max !== undefined && min > max ? max : min;
    }
    case 'boolean':
      return false;
    case 'string':
      return exampleString(schema, name);
    default:
      return null;
  }
}

function exampleString(schema: JsonSchema, name: string): string {
  if (/email/i.test(name)) return 'ada@example.org';
  switch (schema.format) {
    case 'uuid':
      return '3f2b8c1e-6a4d-4e8b-9c1a-2d7e5f4a3b10';
    case 'email':
      return 'ada@example.org';
    case 'date-time':
      return '2026-12-01T09:00:00Z';
    case 'date':
      return '2026-12-01';
    case 'uri':
    case 'url':
      return 'https://example.org/';
  }
  const min = Number(schema.minLength ?? 1);
  const max = Number(schema.maxLength ?? 60);
  const base = /password/i.test(name)
    ? 'correct horse battery staple'
    : /code/i.test(name)
      ? '123456'
      : /colou?r/i.test(name)
        ? '#1d4ed8'
        : `Example ${name || 'text'}`;
  const sized = (v: string) => {
    const padded = v.length < min ? v.padEnd(min, 'x') : v;
    return padded.length > max ? padded.slice(0, max) : padded;
  };
  if (typeof schema.pattern !== 'string') return sized(base);
  // A pattern the plain example does not meet: the first of a few common shapes that does.
  const pattern = new RegExp(schema.pattern, 'u');
  const candidates = [base, `example_${name || 'value'}`.replace(/[^\w]/g, '_'), 'EXAMPLE', 'example', '123456', 'abc-123', '#1d4ed8'];
  return sized(candidates.map(sized).find((c) => pattern.test(c)) ?? base);
}

/** Pages and their assets (HTML, CSS) are the web app, not the API. */
export const isApiRoute = (route: AnyRoute) => !route.page && !route.tags.includes('pages');

export type DocumentOptions = {
  baseDomain: string;
  port: number;
  production: boolean;
  host: 'tenant' | 'platform';
  /** The plan ids this server offers: fields marked as plan ids list them as their enum. */
  plans: string[];
};

/** Gives every schema marked with PLAN_ID_MARK the server's plan ids as its enum. */
function withPlanIds(node: unknown, plans: string[]): void {
  if (Array.isArray(node)) for (const item of node) withPlanIds(item, plans);
  else if (node && typeof node === 'object') {
    const schema = node as JsonSchema;
    if (schema[PLAN_ID_MARK] === true) {
      delete schema[PLAN_ID_MARK];
      schema.enum = [...plans];
    }
    for (const value of Object.values(schema)) withPlanIds(value, plans);
  }
}

/** The document for one kind of host: pages (HTML) are left out; they are not the API. */
export function openApiDocument(allRoutes: AnyRoute[], options: DocumentOptions): JsonSchema {
  const routes = allRoutes.filter((r) => isApiRoute(r) && (r.host === options.host || r.host === 'any'));
  const paths: Record<string, Record<string, unknown>> = {};
  const ids = new Map<string, string>();
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: JsonSchema[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, prop] of Object.entries(json.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop, description: prop.description });
      }
    }
    if (route.idempotent) {
      parameters.push({
        name: IDEMPOTENCY_HEADER,
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 8, maxLength: 200 },
        description:
          'A unique key per intended change (a UUID): sending the same request again with the same key within 24 hours returns the first answer instead of doing it twice. The same key with a different body is refused (422); while the first is still running, 409.',
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const content = response.schema ? { [response.contentType ?? 'application/json']: { schema: toSchema(response.schema, 'output') } } : undefined;
      responses[status] = { description: response.description, ...(content ? { content } : {}) };
    }
    for (const status of errorStatuses(route)) responses[status] ??= { $ref: `#/components/responses/Problem${status}` };
    responses.default = {
      description: 'Any other problem (RFC 9457)',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    let operationId = operationIdOf(route);
    const clash = ids.get(operationId);
    if (clash) throw new Error(`operationId ${operationId} of ${route.method} ${route.path} is already used by ${clash}: give one route an operationId`);
    ids.set(operationId, `${route.method} ${route.path}`);
    operationId = operationId.replace(/[^A-Za-z0-9_]/g, '');
    let requestBody: JsonSchema | undefined;
    if (route.body) {
      const schema = toSchema(route.body, 'input');
      const type = route.form ? 'application/x-www-form-urlencoded' : 'application/json';
      requestBody = { required: true, content: { [type]: { schema, example: exampleOf(schema) } } };
    }
    if (route.upload) {
      requestBody = {
        required: true,
        content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      'x-edify-access': route.access,
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      ...(route.access === 'public' ? { security: [] } : route.method === 'get' ? {} : { security: [{ bearer: [] }, { session: [], csrf: [] }] }),
      responses,
    };
  }
  const scheme = options.production ? 'https' : 'http';
  const port = options.production ? '' : `:${options.port}`;
  const servers =
    options.host === 'tenant'
      ? [
          {
            url: `${scheme}://{school}.${options.baseDomain}${port}`,
            description: 'Each school on its own subdomain',
            variables: { school: { default: 'demo' } },
          },
        ]
      : [{ url: `${scheme}://${options.baseDomain}${port}`, description: 'The platform (signup, webhooks)' }];
  withPlanIds(paths, options.plans);
  return {
    openapi: '3.1.0',
    info: {
      title: options.host === 'tenant' ? 'Edify school API' : 'Edify platform API',
      version: '1',
      description:
        options.host === 'tenant'
          ? 'Served on each school’s own subdomain. Sign in (POST /api/v1/auth/login) for a bearer token; browser sessions use the session cookie plus the X-CSRF-Token header on writes. Errors are application/problem+json (RFC 9457) with a stable type per problem. A JSON answer to a GET carries a weak ETag (Cache-Control: private, no-cache): send it back as If-None-Match and the answer is 304 with no body until it changes; answers marked Cache-Control: no-store carry none. The platform API (signup, webhooks) has its own document at the apex’s /openapi.json.'
          : 'Served on the platform’s own host (no school subdomain): school signup and webhooks. Each school’s API is documented at its own subdomain’s /openapi.json.',
    },
    servers,
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token from POST /api/v1/auth/login (15 minutes; refresh with POST /api/v1/auth/refresh).',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-edify_session',
          description: 'A browser session (the cookie is named edify_session on plain-http development hosts). Writes also need the csrf header.',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description: 'The session’s CSRF token (GET /api/v1/auth/csrf), required on every write made with the session cookie.',
        },
      },
      schemas: { Problem: problemSchema },
      responses: errorComponents(),
    },
    paths,
  };
}

// JSON request bodies. Parsed before the tenant session opens, so a slow client never holds a
// database connection. Only routes that declare a body schema parse one; they refuse other
// content types (415), oversize bodies (413) and malformed JSON (400) as problems.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';
import type { AppState } from './state.ts';

export function jsonBody(limit: string): Middleware<AppState> {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    jsonStrict: true,
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    onError: (error) => {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new AppError('payload-too-large', `The request body is larger than ${limit}.`);
      if (status === 400) throw new AppError('malformed-json', 'The request body is not valid JSON.');
      if (status === 415) throw new AppError('unsupported-media-type', 'Send the request body as application/json.');
      throw error;
    },
  });
  return async (ctx, next) => {
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json', '+json')) {
      throw new AppError('unsupported-media-type', 'Send the request body as application/json.');
    }
    // `parse` is typed for Koa's default state; the middleware does not care about ours.
    await (parse as unknown as Middleware<AppState>)(ctx, next);
  };
}

/** application/x-www-form-urlencoded bodies, for the few browser-posted endpoints (the SAML ACS). */
export function formBody(limit: string): Middleware<AppState> {
  const parse = bodyParser({
    enableTypes: ['form'],
    formLimit: limit,
    parsedMethods: ['POST'],
    onError: (error) => {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new AppError('payload-too-large', `The request body is larger than ${limit}.`);
      throw new AppError('bad-request', 'The form could not be read.');
    },
  });
  return async (ctx, next) => {
    if (!ctx.is('application/x-www-form-urlencoded')) throw new AppError('unsupported-media-type', 'Send the form as application/x-www-form-urlencoded.');
    await (parse as unknown as Middleware<AppState>)(ctx, next);
  };
}

/** The exact request bytes, for signature checks (Stripe webhooks): never re-serialised JSON. */
export async function readRawBody(ctx: { req: NodeJS.ReadableStream & { headers: Record<string, unknown> } }, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new AppError('payload-too-large', `The request body is larger than ${limitBytes} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

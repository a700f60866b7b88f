// Sign-in sessions and refresh tokens. A session is one signed-in device; its refresh tokens
// rotate on every use. Presenting a refresh token that was already used means it was copied:
// the whole session (the token family) is revoked and the event audited.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { audit } from '../audit/service.ts';
import { AppError, notFound } from '../errors.ts';
import type { Scope } from '../scope.ts';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.ts';
import { issueAccessToken, type TokenKeys } from './tokens.ts';

export type SessionMeta = { userAgent?: string | undefined; ip?: string | undefined; kind?: 'api' | 'browser'; enrolmentOnly?: boolean };
export type TokenPair = { access_token: string; refresh_token: string; token_type: 'Bearer'; expires_in: number; session_id: string };
export type SessionPolicy = { keys: TokenKeys; refreshTtlDays: number };

export async function startSession(scope: Scope, userId: string, policy: SessionPolicy, meta: SessionMeta): Promise<TokenPair> {
  const expiresAt = new Date(Date.now() + policy.refreshTtlDays * 86_400_000);
  const [session] = await scope
    .db('auth_sessions')
    .insert({
      tenant_id: scope.tenant.id,
      user_id: userId,
      kind: meta.kind ?? 'api',
      enrolment_only: meta.enrolmentOnly ?? false,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      ip: meta.ip ?? null,
      expires_at: expiresAt,
    })
    .returning('id');
  return issuePair(scope, userId, session.id, expiresAt, policy.keys);
}

async function issuePair(scope: Scope, userId: string, sessionId: string, expiresAt: Date, keys: TokenKeys): Promise<TokenPair> {
  const refresh = newOpaqueToken();
  await scope.db('refresh_tokens').insert({ tenant_id: scope.tenant.id, session_id: sessionId, token_hash: hashOpaqueToken(refresh), expires_at: expiresAt });
  const { token, expiresIn } = await issueAccessToken(keys, scope.tenant.id, { userId, sessionId });
  return { access_token: token, refresh_token: refresh, token_type: 'Bearer', expires_in: expiresIn, session_id: sessionId };
}

type RefreshRow = {
  id: string;
  session_id: string;
  used_at: Date | null;
  expires_at: Date;
  user_id: string;
  revoked_at: Date | null;
  session_expires_at: Date;
  status: string;
};

const invalidRefresh = () => new AppError('unauthenticated', 'The refresh token is invalid, expired or already used. Sign in again.');

/** Rotates a refresh token. Returns the new pair, or a problem to answer with after committing
 * (a detected reuse must stay revoked and audited even though the request fails). */
export async function refreshSession(scope: Scope, refreshToken: string, policy: SessionPolicy): Promise<TokenPair | { problem: AppError }> {
  const row = (await scope
    .db('refresh_tokens as r')
    .join('auth_sessions as s', (j) => j.on('s.tenant_id', 'r.tenant_id').andOn('s.id', 'r.session_id'))
    .join('users as u', (j) => j.on('u.tenant_id', 's.tenant_id').andOn('u.id', 's.user_id'))
    .where('r.token_hash', hashOpaqueToken(refreshToken))
    .forUpdate()
    .first('r.id', 'r.session_id', 'r.used_at', 'r.expires_at', 's.user_id', 's.revoked_at', 's.expires_at as session_expires_at', 'u.status')) as
    | RefreshRow
    | undefined;
  if (!row) return { problem: invalidRefresh() };
  if (row.used_at) {
    if (!row.revoked_at) {
      await revokeSessions(scope.db, { sessionId: row.session_id }, 'refresh_token_reused');
      await audit(
        { ...scope, actor: { type: 'system', label: 'token-guard' } },
        'auth.refresh_token_reused',
        { type: 'user', id: row.user_id },
        { session_id: row.session_id },
      );
    }
    return { problem: invalidRefresh() };
  }
  const now = new Date();
  if (row.revoked_at || row.status !== 'active' || row.expires_at < now || row.session_expires_at < now) return { problem: invalidRefresh() };
  await scope.db('refresh_tokens').where({ id: row.id }).update({ used_at: now });
  await scope.db('auth_sessions').where({ id: row.session_id }).update({ last_used_at: now });
  return issuePair(scope, row.user_id, row.session_id, row.session_expires_at, policy.keys);
}

export async function revokeSessions(db: Knex.Transaction, which: { sessionId: string } | { userId: string }, reason: string): Promise<number> {
  const query = db('auth_sessions').whereNull('revoked_at').update({ revoked_at: db.fn.now(), revoked_reason: reason });
  if ('sessionId' in which) query.where({ id: which.sessionId });
  else query.where({ user_id: which.userId });
  return query;
}

export type SessionView = {
  id: string;
  kind: string;
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_used_at: string;
  current: boolean;
};

export async function listOwnSessions(scope: Scope): Promise<SessionView[]> {
  if (scope.actor.type !== 'user') return [];
  const { id: userId, sessionId } = scope.actor.user;
  const rows = await scope
    .db('auth_sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', scope.db.fn.now())
    .orderBy('last_used_at', 'desc')
    .select('id', 'kind', 'user_agent', 'ip', 'created_at', 'last_used_at');
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    user_agent: r.user_agent,
    ip: r.ip,
    created_at: new Date(r.created_at).toISOString(),
    last_used_at: new Date(r.last_used_at).toISOString(),
    current: r.id === sessionId,
  }));
}

export async function endOwnSession(scope: Scope, sessionId: string, reason: string): Promise<void> {
  if (scope.actor.type !== 'user') throw notFound('The session');
  const revoked = await scope
    .db('auth_sessions')
    .where({ id: sessionId, user_id: scope.actor.user.id })
    .whereNull('revoked_at')
    .update({ revoked_at: scope.db.fn.now(), revoked_reason: reason });
  if (revoked === 0) throw notFound('The session');
  await audit(scope, 'auth.session_ended', { type: 'user', id: scope.actor.user.id }, { session_id: sessionId, reason });
}

// Browser sessions: an opaque value in an HttpOnly, host-only cookie (never Domain=.base, so one
// school's cookie never reaches another), plus a CSRF token derived from the session id that
// pages send back in X-CSRF-Token on unsafe requests.
export const COOKIE = 'edify_session';
export const SECURE_COOKIE = `__Host-${COOKIE}`;

export type BrowserSession = { cookie: string; csrf_token: string; session_id: string; expires_at: Date };

export async function startBrowserSession(scope: Scope, userId: string, policy: SessionPolicy, meta: SessionMeta): Promise<BrowserSession> {
  const expiresAt = new Date(Date.now() + policy.refreshTtlDays * 86_400_000);
  const cookie = newOpaqueToken();
  const [session] = await scope
    .db('auth_sessions')
    .insert({
      tenant_id: scope.tenant.id,
      user_id: userId,
      kind: 'browser',
      enrolment_only: meta.enrolmentOnly ?? false,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      ip: meta.ip ?? null,
      expires_at: expiresAt,
      cookie_hash: hashOpaqueToken(cookie),
    })
    .returning('id');
  return { cookie, csrf_token: csrfToken(policy.keys, session.id), session_id: session.id, expires_at: expiresAt };
}

export const cookieHash = hashOpaqueToken;

export function csrfToken(keys: TokenKeys, sessionId: string): string {
  const [current] = keys.keys;
  if (!current) throw new Error('No token signing key is configured');
  return createHmac('sha256', current.secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function csrfTokenValid(keys: TokenKeys, sessionId: string, presented: string): boolean {
  const given = Buffer.from(presented);
  return keys.keys.some((k) => {
    const expected = Buffer.from(createHmac('sha256', k.secret).update(`csrf:${sessionId}`).digest('base64url'));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

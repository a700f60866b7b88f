// Bearer token or browser cookie → the signed-in user, re-read inside the tenant session on every
// request so a deactivated user, a deleted user or a changed role takes effect at once, and RLS
// guarantees the user belongs to this school.
//
// Two steps, so the database read costs no round trip of its own (docs/performance.md, P4):
// probeCredentials() checks what it can without the database (the token's signature, expiry and
// school; the cookie's hash) before the request's transaction opens, and signInStatement() gives
// the lookup as SQL that tenants/session.ts sends in the same message as BEGIN and the school.
// authenticate() then decides, inside the tenant session, from those rows.
import { escapeLiteral } from 'pg';
import { isUuid } from '../../tenants/session.ts';
import { AppError } from '../errors.ts';
import type { Actor, Role, Scope } from '../scope.ts';
import { cookieHash } from './sessions.ts';
import { type AccessClaims, type TokenKeys, verifyAccessTokenForAnySchool } from './tokens.ts';

export type Credentials = { authorization: string; cookie: string | undefined };

export type SignInProbe =
  | { kind: 'bearer'; claims: AccessClaims & { tenantId: string } }
  | { kind: 'cookie'; hash: string }
  | { kind: 'refused'; detail: string };

type SignInRow = { id: string; role: Role; email: string; first_name: string; last_name: string; session_id: string; enrolment_only: boolean };

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** What the credentials claim, checked without the database. A refusal is kept, not thrown: the
 * request still learns about an unknown or suspended school first. */
export async function probeCredentials(credentials: Credentials, keys: TokenKeys): Promise<SignInProbe> {
  if (!credentials.authorization && credentials.cookie) return { kind: 'cookie', hash: cookieHash(credentials.cookie) };
  const match = BEARER.exec(credentials.authorization.trim());
  if (!match?.[1]) return { kind: 'refused', detail: 'Sign in and send the access token as "Authorization: Bearer <token>".' };
  const claims = await verifyAccessTokenForAnySchool(keys, match[1]);
  if (!claims || !isUuid(claims.sessionId)) return { kind: 'refused', detail: 'The access token is invalid or has expired, or was issued by another school.' };
  return { kind: 'bearer', claims };
}

// The user must be active and the sign-in session neither revoked nor expired. Literals only: the
// statement travels in a simple-query message, which cannot carry bind parameters; the session id
// is a checked uuid and the cookie hash is quoted.
const SIGN_IN = `select users.id, users.role, users.email, users.first_name, users.last_name, s.id as session_id, s.enrolment_only
  from users join auth_sessions s on s.tenant_id = users.tenant_id and s.user_id = users.id
  where users.status = 'active' and s.revoked_at is null and s.expires_at > now()`;

/** The sign-in lookup for tenants/session.ts to send with the school (RLS applies: it runs after
 * app.tenant_id is set, in the same transaction). */
export function signInStatement(probe: SignInProbe): string | undefined {
  if (probe.kind === 'bearer') return `${SIGN_IN} and s.id = ${escapeLiteral(probe.claims.sessionId)} limit 1`;
  if (probe.kind === 'cookie') return `${SIGN_IN} and s.kind = 'browser' and s.cookie_hash = ${escapeLiteral(probe.hash)} limit 1`;
  return undefined;
}

/** The actor, from the probe and the rows its statement returned (`rows` undefined: not fetched
 * yet, so it is read here). */
export async function authenticate(scope: Scope, probe: SignInProbe, rows?: unknown[]): Promise<Actor> {
  if (probe.kind === 'refused') throw unauthenticated(probe.detail);
  if (probe.kind === 'bearer' && probe.claims.tenantId !== scope.tenant.id) {
    throw unauthenticated('The access token is invalid or has expired, or was issued by another school.');
  }
  const statement = signInStatement(probe) as string;
  const found = rows ?? (await scope.db.raw(statement)).rows;
  const row = found[0] as SignInRow | undefined;
  if (!row) throw unauthenticated('This sign-in has ended or the account is no longer active. Sign in again.');
  return {
    type: 'user',
    user: {
      id: row.id,
      role: row.role,
      email: row.email,
      first_name: row.first_name,
      last_name: row.last_name,
      sessionId: row.session_id,
      enrolmentOnly: row.enrolment_only,
      via: probe.kind,
    },
  };
}

function unauthenticated(detail: string): AppError {
  return new AppError('unauthenticated', detail);
}

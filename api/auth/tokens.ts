// Short-lived access tokens: HS256 JWTs whose audience is one school, so a token minted at
// school A is refused at school B before any lookup. Each names its sign-in session (`sid`);
// the session and the user are re-read on every request (api/auth/authenticate.ts), so signing
// out, deactivation or a role change apply at once.
// Key rotation: the first key signs; every listed key verifies, chosen by the `kid` header, so a
// new key can be deployed while tokens signed with the old one live out their 15 minutes.
import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';

const ISSUER = 'edify';
const audienceFor = (tenantId: string) => `edify:school:${tenantId}`;

type Key = { id: string; secret: Uint8Array };
/** `now`: the clock tokens are checked against (tests move it); `verified`: see verify(). */
export type TokenKeys = { keys: Key[]; ttlSeconds: number; now: () => Date; verified: LRUCache<string, JWTPayload> };

/** Tokens verified lately, per key set (10,000 at most: a few MB). */
const VERIFIED_MAX = 10_000;

export const keyId = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 12);

export function tokenKeys(secrets: string | string[], ttlSeconds: number, now: () => Date = () => new Date()): TokenKeys {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  return {
    keys: list.map((s) => ({ id: keyId(s), secret: new TextEncoder().encode(s) })),
    ttlSeconds,
    now,
    verified: new LRUCache({ max: VERIFIED_MAX }),
  };
}

export type AccessClaims = { userId: string; sessionId: string };

function sign(keys: TokenKeys, claims: Record<string, unknown>, audience: string, subject: string, lifetimeSeconds: number): Promise<string> {
  const [current] = keys.keys;
  if (!current) throw new Error('No token signing key is configured');
  const issuedAt = Math.floor(keys.now().getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: current.id })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject(subject)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .sign(current.secret);
}

/** The payload if the token is valid for this audience (or, with a pattern, an audience that
 * matches it) under any listed key, else undefined.
 * A token verified once is remembered (keys.verified, bounded): the same token on the next
 * request skips the HMAC, which through WebCrypto was about 7 % of a signed-in read in the profile
 * (docs/performance.md). Only this check is skipped: every request still reads the sign-in session
 * and the user in its first round trip, so signing out, deactivation, a password change or a role
 * change apply at once; and a remembered token is still refused from the second it expires. */
async function verify(keys: TokenKeys, token: string, audience: string | RegExp): Promise<JWTPayload | undefined> {
  const cacheKey = `${typeof audience === 'string' ? audience : audience.source} ${token}`;
  const nowSeconds = keys.now().getTime() / 1000;
  const known = keys.verified.get(cacheKey);
  if (known) return typeof known.exp === 'number' && known.exp > nowSeconds ? known : undefined;
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = keys.keys.find((k) => k.id === kid);
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key.secret, {
      issuer: ISSUER,
      ...(typeof audience === 'string' ? { audience } : {}),
      algorithms: ['HS256'],
      currentDate: keys.now(),
    });
    if (typeof audience !== 'string' && !(typeof payload.aud === 'string' && audience.test(payload.aud))) return undefined;
    if (typeof payload.sub !== 'string') return undefined;
    if (typeof payload.exp === 'number') keys.verified.set(cacheKey, payload);
    return payload;
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError) return undefined;
    throw error;
  }
}

export async function issueAccessToken(keys: TokenKeys, tenantId: string, claims: AccessClaims): Promise<{ token: string; expiresIn: number }> {
  const token = await sign(keys, { sid: claims.sessionId }, audienceFor(tenantId), claims.userId, keys.ttlSeconds);
  return { token, expiresIn: keys.ttlSeconds };
}

/** The claims, or undefined when the token is not valid at this school. */
export async function verifyAccessToken(keys: TokenKeys, tenantId: string, token: string): Promise<AccessClaims | undefined> {
  const payload = await verify(keys, token, audienceFor(tenantId));
  if (!payload?.sub || typeof payload.sid !== 'string') return undefined;
  return { userId: payload.sub, sessionId: payload.sid };
}

const ANY_SCHOOL = /^edify:school:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The claims and the school the token was issued for, checked before the school is looked up
 * (so the session can be read in the same round trip as the school); the caller must still
 * compare `tenantId` with the school of the request. */
export async function verifyAccessTokenForAnySchool(keys: TokenKeys, token: string): Promise<(AccessClaims & { tenantId: string }) | undefined> {
  const payload = await verify(keys, token, ANY_SCHOOL);
  const tenantId = typeof payload?.aud === 'string' ? ANY_SCHOOL.exec(payload.aud)?.[1] : undefined;
  if (!payload?.sub || typeof payload.sid !== 'string' || !tenantId) return undefined;
  return { userId: payload.sub, sessionId: payload.sid, tenantId };
}

const challengeAudience = (tenantId: string) => `edify:school:${tenantId}:second-factor`;

/** A 5-minute proof that the password was right, exchanged with a TOTP or recovery code for a
 * session at POST /api/v1/auth/two-factor. Useless anywhere else (its own audience). */
export function issueChallengeToken(keys: TokenKeys, tenantId: string, userId: string): Promise<string> {
  return sign(keys, {}, challengeAudience(tenantId), userId, 5 * 60);
}

export async function verifyChallengeToken(keys: TokenKeys, tenantId: string, token: string): Promise<string | undefined> {
  return (await verify(keys, token, challengeAudience(tenantId)))?.sub;
}

const handoffAudience = (tenantId: string) => `edify:school:${tenantId}:signup-handoff`;

/** A 10-minute proof, made by the platform site right after a school signed up, that this browser
 * created the school's first admin: exchanged once for a session on the school's own host
 * (api/signup/handoff.ts). Useless anywhere else (its own audience). */
export function issueHandoffToken(keys: TokenKeys, tenantId: string, userId: string): Promise<string> {
  return sign(keys, {}, handoffAudience(tenantId), userId, 10 * 60);
}

export async function verifyHandoffToken(keys: TokenKeys, tenantId: string, token: string): Promise<string | undefined> {
  return (await verify(keys, token, handoffAudience(tenantId)))?.sub;
}

// Short-lived access tokens: HS256 JWTs whose audience is one school, so a token minted at
// school A is refused at school B before any lookup. The user is re-read on every request
// (api/auth/authenticate.ts), so deactivation or a role change applies at once.
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'edify';
const audienceFor = (tenantId: string) => `edify:school:${tenantId}`;

export type TokenKeys = { secret: Uint8Array; ttlSeconds: number };

export function tokenKeys(secret: string, ttlSeconds: number): TokenKeys {
  return { secret: new TextEncoder().encode(secret), ttlSeconds };
}

export async function issueAccessToken(keys: TokenKeys, tenantId: string, userId: string): Promise<{ token: string; expiresIn: number }> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(audienceFor(tenantId))
    .setSubject(userId)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${keys.ttlSeconds}s`)
    .sign(keys.secret);
  return { token, expiresIn: keys.ttlSeconds };
}

/** The user id the token was issued to, or undefined when it is not valid at this school. */
export async function verifyAccessToken(keys: TokenKeys, tenantId: string, token: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, keys.secret, { issuer: ISSUER, audience: audienceFor(tenantId), algorithms: ['HS256'] });
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch (error) {
    if (error instanceof errors.JOSEError) return undefined;
    throw error;
  }
}

// Access tokens and the cache of verified ones (api/auth/tokens.ts): a remembered token skips the
// HMAC but never outlives its expiry, never crosses schools or purposes, and a forged one is not
// remembered as valid. (That a sign-out, deactivation or role change applies at once with a
// remembered token is tested through the API: test/api/auth.test.ts, test/api/sessions.test.ts.)
import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import {
  issueAccessToken,
  issueChallengeToken,
  tokenKeys,
  verifyAccessToken,
  verifyAccessTokenForAnySchool,
  verifyChallengeToken,
} from '../../api/auth/tokens.ts';

function keysAt(ttlSeconds = 900) {
  const clock = { now: new Date('2026-11-26T09:00:00Z') };
  const keys = tokenKeys([randomBytes(32).toString('base64url')], ttlSeconds, () => clock.now);
  return { clock, keys, school: randomUUID(), claims: { userId: randomUUID(), sessionId: randomUUID() } };
}

test('a remembered token is refused from the second it expires', async (t) => {
  const w = keysAt(60);
  const { token } = await issueAccessToken(w.keys, w.school, w.claims);
  t.deepEqual(await verifyAccessToken(w.keys, w.school, token), w.claims);
  t.is(w.keys.verified.size, 1, 'remembered after the first check');
  w.clock.now = new Date(w.clock.now.getTime() + 59_000);
  t.deepEqual(await verifyAccessToken(w.keys, w.school, token), w.claims, 'still valid within its lifetime');
  w.clock.now = new Date(w.clock.now.getTime() + 1_000);
  t.is(await verifyAccessToken(w.keys, w.school, token), undefined, 'expired, although remembered');
  t.is(await verifyAccessTokenForAnySchool(w.keys, token), undefined);
});

test('a remembered token is still checked for its school and its purpose', async (t) => {
  const w = keysAt();
  const { token } = await issueAccessToken(w.keys, w.school, w.claims);
  t.like(await verifyAccessTokenForAnySchool(w.keys, token), { tenantId: w.school, ...w.claims });
  t.deepEqual(await verifyAccessToken(w.keys, w.school, token), w.claims);
  t.is(await verifyAccessToken(w.keys, randomUUID(), token), undefined, 'another school');
  t.is(await verifyChallengeToken(w.keys, w.school, token), undefined, 'an access token is no second-factor challenge');
  const challenge = await issueChallengeToken(w.keys, w.school, w.claims.userId);
  t.is(await verifyChallengeToken(w.keys, w.school, challenge), w.claims.userId);
  t.is(await verifyAccessToken(w.keys, w.school, challenge), undefined, 'a challenge is no access token');
});

test('a forged or foreign token is never remembered as valid', async (t) => {
  const w = keysAt();
  const { token } = await issueAccessToken(w.keys, w.school, w.claims);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
  t.is(await verifyAccessToken(w.keys, w.school, forged), undefined);
  t.is(await verifyAccessToken(w.keys, w.school, forged), undefined, 'refused again');
  const other = tokenKeys([randomBytes(32).toString('base64url')], 900, () => w.clock.now);
  const foreign = (await issueAccessToken(other, w.school, w.claims)).token;
  t.is(await verifyAccessToken(w.keys, w.school, foreign), undefined, 'signed with a key this server does not hold');
  t.is(w.keys.verified.size, 0);
});

// One-time recovery codes for when the authenticator is lost: `xxxx-xxxx-xxxx` from Crockford's
// base32 alphabet in lower case (no i, l, o or u), so 12 characters × 5 bits = 60 bits of entropy
// each. Typing o for 0, or i / l for 1, still matches, as Crockford intends.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // 32 symbols: 5 bits each
const GROUPS = 3;
const GROUP_LENGTH = 4;

export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > 100)
    throw new RangeError(`generateRecoveryCodes: count must be an integer from 1 to 100 (got ${count})`);
  const codes = new Set<string>();
  while (codes.size < count) {
    const groups = Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''));
    codes.add(groups.join('-'));
  }
  return [...codes];
}

/** What is compared: lower case, without spaces or hyphens, look-alike letters read as digits. */
function normalize(code: string): string {
  return code
    .toLowerCase()
    .replaceAll(/[\s-]+/g, '')
    .replaceAll('o', '0')
    .replaceAll(/[il]/g, '1');
}

// A single unsalted SHA-256 is enough here, unlike for passwords: each code is 60 bits drawn
// uniformly at random, so a leaked hash cannot be reversed by guessing or precomputed tables, and
// a slow hash would only slow logins down.
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalize(code), 'utf8').digest('hex');
}

export function recoveryCodeMatches(code: string, hash: string): boolean {
  const actual = Buffer.from(hashRecoveryCode(code), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

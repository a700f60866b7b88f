import { randomBytes } from 'node:crypto';
import test from 'ava';
import { generateRecoveryCodes, hashRecoveryCode, recoveryCodeMatches } from '../../api/auth/recovery-codes.ts';
import { createSecretBox, parseEncryptionKeys } from '../../api/auth/secret-box.ts';
import { newTotpSecret, otpauthUri, qrCodeDataUrl, totpCodeAt, totpIssuer, totpStepAt, verifyTotp } from '../../api/auth/totp.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });

// Replaces one character of a base64url segment with another, so the bytes really change.
function flip(segment: string, index = 0): string {
  const c = segment[index] === 'A' ? 'B' : 'A';
  return segment.slice(0, index) + c + segment.slice(index + 1);
}

test('secret box: round trip, fresh IV each time', (t) => {
  const box = createSecretBox([key('k1')]);
  const sealed = box.seal('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  t.regex(sealed, /^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  t.is(box.open(sealed), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  t.not(box.seal('same'), box.seal('same'));
  t.is(box.open(box.seal('')), '');
  t.is(box.open(box.seal('ünïcødé ✓')), 'ünïcødé ✓');
});

test('secret box: rotation seals with the first key and opens with any', (t) => {
  const k1 = key('k1');
  const k2 = key('k2');
  const old = createSecretBox([k1]).seal('old secret');
  const rotated = createSecretBox([k2, k1]);
  t.is(rotated.open(old), 'old secret');
  const fresh = rotated.seal('new secret');
  t.true(fresh.startsWith('v1.k2.'));
  t.is(rotated.open(fresh), 'new secret');
  t.throws(() => createSecretBox([k1]).open(fresh), { message: /unknown key id "k2"/ });
});

test('secret box: any tampering throws', (t) => {
  const k1 = key('k1');
  const k2 = key('k2');
  const box = createSecretBox([k1, k2]);
  const sealed = box.seal('a TOTP secret');
  const [v, id, iv, ct, tag] = sealed.split('.') as [string, string, string, string, string];
  const variants = {
    iv: [v, id, flip(iv), ct, tag],
    ciphertext: [v, id, iv, flip(ct), tag],
    ciphertextEnd: [v, id, iv, flip(ct, ct.length - 1), tag],
    tag: [v, id, iv, ct, flip(tag)],
    tagLastChar: [v, id, iv, ct, flip(tag, tag.length - 1)],
    truncatedTag: [v, id, iv, ct, tag.slice(0, 16)],
    relabelled: [v, 'k2', iv, ct, tag],
    unknownKey: [v, 'k9', iv, ct, tag],
    version: ['v2', id, iv, ct, tag],
    badBase64: [v, id, iv, `${ct}!`, tag],
  };
  for (const [what, parts] of Object.entries(variants)) {
    t.throws(() => box.open(parts.join('.')), { instanceOf: Error }, what);
  }
  t.throws(() => box.open(`${iv}.${ct}.${tag}`), { message: /not a sealed value/ });
  t.throws(() => box.open(''), { message: /not a sealed value/ });
  t.throws(() => box.open([v, 'k2', iv, ct, tag].join('.')), { message: /failed authentication/ });
  t.throws(() => box.open([v, id, iv, ct, tag.slice(0, 16)].join('.')), { message: /tag must be 16 bytes/ });
  // Sealed with a different key of the same id (e.g. a regenerated key): refused, not garbage.
  t.throws(() => createSecretBox([key('k1')]).open(sealed), { message: /failed authentication/ });
});

test('secret box: keys must be 32 bytes with distinct, plain ids', (t) => {
  t.throws(() => createSecretBox([{ id: 'k1', key: randomBytes(16) }]), { message: /key "k1" is 16 bytes; AES-256 needs exactly 32/ });
  t.throws(() => createSecretBox([{ id: 'k1', key: randomBytes(33) }]), { message: /33 bytes/ });
  t.throws(() => createSecretBox([]), { message: /at least one/ });
  t.throws(() => createSecretBox([key('k1'), key('k1')]), { message: /duplicate key id "k1"/ });
  t.throws(() => createSecretBox([key('a.b')]), { message: /key id "a\.b"/ });
});

test('parseEncryptionKeys: formats and messages', (t) => {
  const a = randomBytes(32);
  const b = randomBytes(32);
  const keys = parseEncryptionKeys(`k2:${a.toString('base64')}, k1:${b.toString('base64url')}`);
  t.deepEqual(
    keys.map((k) => k.id),
    ['k2', 'k1'],
  );
  t.true(keys[0]?.key.equals(a));
  t.true(keys[1]?.key.equals(b));
  const bare = parseEncryptionKeys(a.toString('base64'));
  t.is(bare.length, 1);
  t.is(bare[0]?.id, 'k1');
  t.true(bare[0]?.key.equals(a));
  // The format test/run.ts and api/config.ts use works with a secret box.
  const box = createSecretBox(parseEncryptionKeys(`test:${a.toString('base64')}`));
  t.is(box.open(box.seal('x')), 'x');

  t.throws(() => parseEncryptionKeys(''), { message: /empty/ });
  t.throws(() => parseEncryptionKeys(`k1:${a.toString('base64')},`), { message: /entry 2 is empty/ });
  t.throws(() => parseEncryptionKeys('k1:not base64!'), { message: /key "k1" \(the key\) is not base64/ });
  t.throws(() => parseEncryptionKeys(`k1:${randomBytes(16).toString('base64')}`), {
    message: /key "k1" \(the key\) decodes to 16 bytes; AES-256 needs exactly 32/,
  });
  t.throws(() => parseEncryptionKeys(`k2:${a.toString('base64')},k2:${b.toString('base64')}`), { message: /duplicate key id "k2" \(entry 2\)/ });
  t.throws(() => parseEncryptionKeys(`${a.toString('base64')},k1:${b.toString('base64')}`), { message: /duplicate key id "k1"/ });
  t.throws(() => parseEncryptionKeys(`bad id:${a.toString('base64')}`), { message: /bad key id "bad id"/ });
  const error = t.throws(() => parseEncryptionKeys(`k1:${randomBytes(31).toString('base64')}`));
  t.false(error?.message.includes('=') ?? true, 'key material is not echoed');
});

const STEP = 30_000;
// Mid-step, so ±1 step is unambiguous.
const now = Math.floor(Date.now() / STEP) * STEP + 15_000;

test('TOTP: current step verifies and reports its step; ±1 step of drift', (t) => {
  const secret = newTotpSecret();
  t.regex(secret, /^[A-Z2-7]{32}$/);
  const step = totpStepAt(now);
  t.deepEqual(verifyTotp(secret, totpCodeAt(secret, now), { lastUsedStep: null, now }), { ok: true, step });
  t.deepEqual(verifyTotp(secret, totpCodeAt(secret, now - STEP), { lastUsedStep: null, now }), { ok: true, step: step - 1 });
  t.deepEqual(verifyTotp(secret, totpCodeAt(secret, now + STEP), { lastUsedStep: null, now }), { ok: true, step: step + 1 });
  // Two steps away is refused (unless the code happens to collide with a nearby step's code).
  for (const offset of [-2, 2]) {
    const code = totpCodeAt(secret, now + offset * STEP);
    const nearby = [-1, 0, 1].map((d) => totpCodeAt(secret, now + d * STEP));
    if (!nearby.includes(code)) t.deepEqual(verifyTotp(secret, code, { lastUsedStep: null, now }), { ok: false });
  }
  // Spaces are ignored.
  const code = totpCodeAt(secret, now);
  t.deepEqual(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { lastUsedStep: null, now }), { ok: true, step });
});

test('TOTP: known RFC 6238 vector (SHA-1, 6 digits)', (t) => {
  // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082 (8 digits); 6 digits -> 287082.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  t.is(totpCodeAt(secret, 59_000), '287082');
  t.is(totpCodeAt(secret, 1_111_111_109_000), '081804');
});

test('TOTP: replays and older steps are refused', (t) => {
  const secret = newTotpSecret();
  const code = totpCodeAt(secret, now);
  const first = verifyTotp(secret, code, { lastUsedStep: null, now });
  t.true(first.ok);
  if (!first.ok) return;
  t.deepEqual(verifyTotp(secret, code, { lastUsedStep: first.step, now }), { ok: false });
  t.deepEqual(verifyTotp(secret, code, { lastUsedStep: first.step, now: now + 10_000 }), { ok: false });
  // After the next step's code is used, the current one is refused too.
  t.deepEqual(verifyTotp(secret, code, { lastUsedStep: first.step + 1, now }), { ok: false });
  // A lastUsedStep beyond the window (clock went back) refuses rather than throws.
  t.deepEqual(verifyTotp(secret, code, { lastUsedStep: first.step + 5, now }), { ok: false });
  // The next step's code is still fine.
  t.deepEqual(verifyTotp(secret, totpCodeAt(secret, now + STEP), { lastUsedStep: first.step, now: now + STEP }), { ok: true, step: first.step + 1 });
  t.throws(() => verifyTotp(secret, code, { lastUsedStep: -1, now }), { instanceOf: TypeError });
});

test('TOTP: malformed codes are refused', (t) => {
  const secret = newTotpSecret();
  for (const code of ['12345', '1234567', 'abcdef', '', '      ', '12345a', '١٢٣٤٥٦']) {
    t.deepEqual(verifyTotp(secret, code, { lastUsedStep: null, now }), { ok: false }, JSON.stringify(code));
  }
});

test('TOTP: otpauth URI and QR code', async (t) => {
  const secret = newTotpSecret();
  const issuer = totpIssuer('Lincoln: Elementary');
  t.is(totpIssuer('Lincoln Elementary'), 'Lincoln Elementary (Edify)');
  const uri = otpauthUri({ secret, accountName: 'ada@lincoln.example', issuer });
  t.true(uri.startsWith('otpauth://totp/Lincoln%20Elementary%20(Edify):ada%40lincoln.example?'), uri);
  const params = new URL(uri).searchParams;
  t.is(params.get('secret'), secret);
  t.is(params.get('issuer'), 'Lincoln Elementary (Edify)');
  t.is(params.get('algorithm'), 'SHA1');
  t.is(params.get('digits'), '6');
  t.is(params.get('period'), '30');
  const png = await qrCodeDataUrl(uri);
  t.true(png.startsWith('data:image/png;base64,'));
  t.true(Buffer.from(png.slice('data:image/png;base64,'.length), 'base64').subarray(1, 4).toString() === 'PNG');
});

test('recovery codes: distinct, readable, 60 bits', (t) => {
  const codes = generateRecoveryCodes();
  t.is(codes.length, 10);
  t.is(new Set(codes).size, 10);
  for (const code of codes) t.regex(code, /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
  t.is(generateRecoveryCodes(3).length, 3);
  t.throws(() => generateRecoveryCodes(0), { instanceOf: RangeError });
});

test('recovery codes: hash and match ignore spacing, hyphens and case', (t) => {
  const [code, other] = generateRecoveryCodes(2) as [string, string];
  const hash = hashRecoveryCode(code);
  t.regex(hash, /^[0-9a-f]{64}$/);
  t.true(recoveryCodeMatches(code, hash));
  t.true(recoveryCodeMatches(code.toUpperCase(), hash));
  t.true(recoveryCodeMatches(` ${code.replaceAll('-', ' ')} `, hash));
  t.true(recoveryCodeMatches(code.replaceAll('-', ''), hash));
  t.is(hashRecoveryCode(code.toUpperCase().replaceAll('-', '')), hash);
  t.true(recoveryCodeMatches('0000-1111-abcd', hashRecoveryCode('oOoo-iIlL-ABCD')), 'look-alikes read as digits');
  t.false(recoveryCodeMatches(other, hash));
  t.false(recoveryCodeMatches('', hash));
  t.false(recoveryCodeMatches(code, 'not a hash'));
});

// RFC 6238 time-based one-time passwords with the parameters every authenticator app assumes:
// HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch. otplib computes and compares the codes
// (constant-time); this module fixes the parameters, allows one step of clock drift either way and
// refuses replays: a code is accepted only for a time step later than the last one used.
import { generateSecret, generateSync, verifySync } from 'otplib';
import { lazy } from '../lazy.ts';

const ALGORITHM = 'sha1';
const DIGITS = 6;
const PERIOD = 30; // seconds
const DRIFT_STEPS = 1;
const SECRET_BYTES = 20; // 160 bits, RFC 4226's recommended key length

/** A new random secret, base32 (32 characters). */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The issuer shown in authenticator apps for a school: `<school name> (Edify)`. */
export function totpIssuer(schoolName: string): string {
  return `${schoolName} (Edify)`;
}

/**
 * The otpauth:// URI for an authenticator app (Google's Key URI format). `issuer` is used as given;
 * build it with totpIssuer(). Algorithm, digits and period are always spelled out (otplib leaves out
 * defaults). ':' separates issuer and account in the label, so it is removed from both.
 */
export function otpauthUri({ secret, accountName, issuer }: { secret: string; accountName: string; issuer: string }): string {
  const clean = (text: string) => text.replaceAll(':', ' ').replaceAll(/\s+/g, ' ').trim();
  const label = `${encodeURIComponent(clean(issuer))}:${encodeURIComponent(clean(accountName))}`;
  const params: [string, string][] = [
    ['secret', secret],
    ['issuer', clean(issuer)],
    ['algorithm', ALGORITHM.toUpperCase()],
    ['digits', String(DIGITS)],
    ['period', String(PERIOD)],
  ];
  return `otpauth://totp/${label}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

/** The URI as a QR code: a PNG data URL for an <img src>. */
const qrcode = lazy(() => import('qrcode'));

export async function qrCodeDataUrl(uri: string): Promise<string> {
  return (await qrcode()).toDataURL(uri, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

/** The code for the step containing `timeMs` (for tests and tooling). */
export function totpCodeAt(secret: string, timeMs: number): string {
  return generateSync({ secret, algorithm: ALGORITHM, digits: DIGITS, period: PERIOD, epoch: Math.floor(timeMs / 1000) });
}

/** The time step (RFC 6238 T) containing `timeMs`. */
export function totpStepAt(timeMs: number): number {
  return Math.floor(Math.floor(timeMs / 1000) / PERIOD);
}

/**
 * Checks a code typed by the user against the current step and one step either side. On success,
 * returns the matched step: store it and pass it back as `lastUsedStep` next time, so that neither
 * this code nor any code for the same or an earlier step is accepted again.
 */
export function verifyTotp(secret: string, code: string, options: { lastUsedStep: number | null; now?: number }): { ok: true; step: number } | { ok: false } {
  const { lastUsedStep, now = Date.now() } = options;
  if (lastUsedStep !== null && !(Number.isSafeInteger(lastUsedStep) && lastUsedStep >= 0)) {
    throw new TypeError(`verifyTotp: lastUsedStep must be null or a non-negative integer (got ${lastUsedStep})`);
  }
  const token = code.replaceAll(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return { ok: false };
  const epoch = Math.floor(now / 1000);
  // otplib throws when afterTimeStep is beyond the newest step it would check; nothing can be valid then.
  if (lastUsedStep !== null && lastUsedStep >= totpStepAt(now) + DRIFT_STEPS) return { ok: false };
  const result = verifySync({
    secret,
    token,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD,
    epoch,
    epochTolerance: DRIFT_STEPS * PERIOD, // [epoch - 30 s, epoch + 30 s] covers exactly steps T-1, T and T+1
    // Steps <= afterTimeStep are skipped before comparing, so a replayed step cannot match.
    ...(lastUsedStep === null ? {} : { afterTimeStep: lastUsedStep }),
  });
  // verifySync's result type also covers HOTP, whose result has no timeStep; TOTP results always
  // carry it ({ valid: true, delta, epoch, timeStep } | { valid: false }). Fail closed regardless.
  return result.valid && 'timeStep' in result ? { ok: true, step: result.timeStep } : { ok: false };
}

// What a new password must be: long enough (MIN_PASSWORD_LENGTH) and not one of the ~49,000
// most common passwords (the list zxcvbn-ts ships). Checked wherever a password is set: admin
// creation, invitation acceptance, password reset.
import { lazyRequire } from '../lazy.ts';

const language = lazyRequire<typeof import('@zxcvbn-ts/language-common')>('@zxcvbn-ts/language-common');

let common: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  common ??= new Set(language().dictionary['passwords-common'].map((p) => p.toLowerCase()));
  const lower = password.toLowerCase();
  // "Password123!" is as weak as "password123": also check without trailing digits and symbols.
  return common.has(lower) || common.has(lower.replace(/[\d\W_]+$/, ''));
}

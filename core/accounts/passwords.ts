/**
 * Password hashing (argon2id) and the sanity rules a new password must pass.
 * Parameters follow OWASP's argon2id baseline: 19 MiB memory, 2 passes, 1 lane (~30 ms on one core here).
 */
import argon2 from 'argon2';
import { AccountError } from './errors.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Unicode-equivalent spellings of one password must hash alike (typed on a Mac vs a phone keyboard). */
function canonical(password: string): string {
  return password.normalize('NFC');
}

/**
 * @example
 * const hash = await hashPassword('correct horse battery'); // '$argon2id$v=19$m=19456,t=2,p=1$...'
 */
export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(canonical(password), ARGON2_OPTIONS);
}

/** False for a wrong password or a malformed hash; never throws on user input. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, canonical(password));
  } catch {
    return false;
  }
}

/**
 * An argon2id hash made with {@link ARGON2_OPTIONS}, written out rather than computed on first use, so not even a
 * process's first login for an unknown address takes longer than the rest (test/core/accounts/passwords.test.ts
 * checks its parameters still match).
 */
export const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$NvB0Y/eqd2RGcGvRCRGxvw$gEw1k4pzhV36Hg5hW13jYEHnZN0XPzwj+MQmcc3P8QM';

/** Spends the same time as a real check, so "no such account" cannot be told apart by timing. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await verifyPassword(DUMMY_HASH, password);
}

/**
 * Throws `weak_password` with a reason a person can act on.
 * @example
 * assertPasswordAcceptable('password123', 'ana@example.org') // throws: too common
 */
export function assertPasswordAcceptable(password: string, email: string): void {
  const text = canonical(password);
  const length = [...text].length;
  const refuse = (reason: string) => {
    throw new AccountError('weak_password', reason);
  };
  if (length < PASSWORD_MIN_LENGTH) refuse(`use at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) refuse(`use at most ${PASSWORD_MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) refuse('control characters are not allowed');
  if (new Set(text).size < 4) refuse('use more different characters');
  const lower = text.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) refuse('this password is among the most common ones: pick another');
  const local = email.toLowerCase().split('@')[0] ?? '';
  if (lower === email.toLowerCase() || (local.length >= 4 && lower.includes(local))) refuse('do not use your e-mail address');
}

/**
 * The e-mail addresses we accept: plain ASCII `local@domain`. Internationalised addresses are refused on
 * purpose: look-alike letters and invisible characters would let two "identical" addresses be two accounts.
 */
import { AccountError } from './errors.ts';

export const EMAIL_MAX_LENGTH = 254;

/** A pragmatic ASCII address: dot-atom local part, dotted domain with a 2+ letter top level. */
export const EMAIL_PATTERN =
  "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$";
const emailRegex = new RegExp(EMAIL_PATTERN);

/**
 * Trims and validates an address; the case is kept (uniqueness ignores it).
 * @example
 * normalizeEmail(' Ana@Example.org ') // 'Ana@Example.org'
 * normalizeEmail('аna@example.org')   // throws AccountError('invalid_email'): Cyrillic 'а'
 */
export function normalizeEmail(input: string): string {
  const email = input.trim();
  if (email.length > EMAIL_MAX_LENGTH || !emailRegex.test(email)) {
    throw new AccountError('invalid_email', 'expected a plain ASCII e-mail address like name@example.org');
  }
  return email;
}

/**
 * The e-mail addresses we accept: plain ASCII `local@domain`. Internationalised addresses are refused on
 * purpose: look-alike letters and invisible characters would let two "identical" addresses be two accounts.
 */
import type { Vault } from '../privacy/vault.ts';
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

/**
 * How an address is found (accounts.email_hash): the vault's keyed hash of the address trimmed and lower-cased, as
 * uniqueness and lookups always compared it; the address itself is kept sealed, with its case.
 * @example
 * emailHash(vault, ' Ana@Example.org') === emailHash(vault, 'ana@example.org') // true
 */
export function emailHash(vault: Pick<Vault, 'lookupHash'>, email: string): string {
  return vault.lookupHash(email.trim().toLowerCase());
}

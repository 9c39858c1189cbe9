/**
 * Random bearer secrets (session cookies, e-mail links). Only their SHA-256 digest is stored: the secret is
 * high-entropy, so a fast hash is enough and a leaked table cannot be replayed.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface SecretToken {
  /** Goes to the user (cookie, link); never stored. */
  readonly token: string;
  /** Goes to the database. */
  readonly hash: string;
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * @example
 * const { token, hash } = newSecretToken(); // token: 43 url-safe characters (256 bits)
 */
export function newSecretToken(): SecretToken {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: digestToken(token) };
}

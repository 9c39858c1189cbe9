import { createHmac } from 'node:crypto';
import type { PrivacyTools } from './data-source.ts';
import type { Vault } from './vault.ts';

/**
 * Keyed, irreversible replacement for identifiers (e-mail, numbers, IPs): the same input gives the same
 * pseudonym under one key, so de-identified records still join, but nobody without the key can test a guess.
 * @example
 * privacyTools(key, vault).deidentify('+4930123456') // 'anon:3f1c...' (24 hex chars)
 */
export function privacyTools(key: string, vault: Vault): PrivacyTools {
  return {
    vault,
    deidentify: (value) => `anon:${createHmac('sha256', key).update(value).digest('hex').slice(0, 24)}`,
  };
}

/** core/accounts/passwords.ts: the hash a login for an unknown address is checked against costs what a real one does. */
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, DUMMY_HASH, hashPassword, verifyPassword } from '../../../core/accounts/passwords.ts';

describe('passwords', () => {
  it('checks unknown addresses against a hash made with the parameters real ones use', async () => {
    expect(argon2.needsRehash(DUMMY_HASH, ARGON2_OPTIONS)).toBe(false);
    expect(argon2.needsRehash(await hashPassword('a real passphrase'), ARGON2_OPTIONS)).toBe(false);
    expect(DUMMY_HASH.split('$').slice(0, 4)).toEqual((await hashPassword('another passphrase')).split('$').slice(0, 4));
    expect(await verifyPassword(DUMMY_HASH, 'whatever was typed')).toBe(false);
  });
});

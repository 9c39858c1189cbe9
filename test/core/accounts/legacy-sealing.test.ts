/**
 * Rows an older version wrote in plain text (before migration 0041) are sealed at boot by sealLegacyAccounts: after
 * it, nothing of them is plain, the address signs in (whatever its case), and a second run changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { emailHash } from '../../../core/accounts/email-address.ts';
import { sealLegacyAccounts } from '../../../core/accounts/legacy-sealing.ts';
import { hashPassword } from '../../../core/accounts/passwords.ts';
import { TEST_PASSWORD, TEST_VAULT, logIn, mailsOf, openedAccount, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { findEverywhere } from '../../harness/privacy.ts';

describeEachDialect('sealing what was written before sealing', (database) => {
  const api = useTestApi(database);

  it('seals old addresses, names, pending addresses and mail, fills the lookup hash, and signs the owner in', async () => {
    const { db } = database();
    const tag = randomUUID().slice(0, 8);
    const email = `Old-${tag}@Example.org`;
    const name = `Old Name ${tag}`;
    const moving = `moving-${tag}@example.org`;
    // As the version before 0041 wrote them: plain, no hash.
    const { id } = await db
      .insertInto('accounts')
      .values({ email, display_name: name, password_hash: await hashPassword(TEST_PASSWORD), status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('email_tokens')
      .values({ account_id: id, purpose: 'verify_email', token_hash: randomUUID(), new_email: moving, expires_at: new Date(Date.now() + 3_600_000) })
      .execute();
    await db
      .insertInto('email_outbox')
      .values({ account_id: id, kind: 'verify_email', to_address: email, subject: `Hello ${name}`, body_text: `Dear ${name}` })
      .execute();
    await db
      .insertInto('email_outbox')
      .values({ account_id: null, kind: 'abuse_alert', to_address: `desk-${tag}@dialo.test`, subject: 'alert', body_text: 'x' })
      .execute();

    expect(await sealLegacyAccounts(db, TEST_VAULT, 1)).toEqual({ accounts: 1, tokens: 1, mails: 1 });
    for (const plain of [email, name, moving]) expect(await findEverywhere(db, plain), plain).toEqual([]);
    // Mail with no account stays as it was.
    expect(await findEverywhere(db, `desk-${tag}@dialo.test`)).toEqual(['email_outbox.to_address']);
    expect((await db.selectFrom('accounts').select('email_hash').where('id', '=', id).executeTakeFirstOrThrow()).email_hash).toBe(emailHash(TEST_VAULT, email));

    expect(await openedAccount(db, id)).toEqual({ email, display_name: name });
    expect(await mailsOf(db, id)).toEqual([expect.objectContaining({ to_address: email, subject: `Hello ${name}`, body_text: `Dear ${name}` })]);
    expect((await logIn(api(), email.toLowerCase())).accountId).toBe(id);

    expect(await sealLegacyAccounts(db, TEST_VAULT)).toEqual({ accounts: 0, tokens: 0, mails: 0 });
    expect(await openedAccount(db, id)).toEqual({ email, display_name: name });
  });
});

import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { adjust, AdjustmentError, appendEntry, balanceMismatches, balanceOf, ledgerHistory } from '../../../core/billing/ledger.ts';
import { micros } from '../../../core/money.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { createAccount } from '../../harness/billing.ts';

describeEachDialect('ledger', (database) => {
  it('keeps the cached balance equal to the sum of entries through any sequence of entries', async () => {
    const { db } = database();
    const accounts = [await createAccount(db), await createAccount(db)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -5_000_000, max: 5_000_000 })), { maxLength: 15 }),
        async (steps) => {
          for (const [which, amount] of steps) {
            await appendEntry(db, { accountId: accounts[which]!, kind: amount >= 0 ? 'top_up' : 'call_charge', amount: micros(amount) });
          }
          for (const accountId of accounts) {
            const summed = await db
              .selectFrom('ledger_entries')
              .select((eb) => eb.fn.sum<number>('amount').as('sum'))
              .where('account_id', '=', accountId)
              .executeTakeFirstOrThrow();
            expect((await balanceOf(db, accountId)).balance).toBe(Number(summed.sum ?? 0));
          }
          expect(await balanceMismatches(db)).toEqual([]);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('refuses to update or delete an entry, or to set a balance directly', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const entry = await appendEntry(db, { accountId, kind: 'top_up', amount: micros(1_000_000) });
    await expect(db.updateTable('ledger_entries').set({ amount: 5 }).where('id', '=', entry!.id).execute()).rejects.toMatchObject({ code: '23514' });
    await expect(db.deleteFrom('ledger_entries').where('id', '=', entry!.id).execute()).rejects.toMatchObject({ code: '23514' });
    await expect(sql`update account_balances set balance = 999 where account_id = ${accountId}`.execute(db)).rejects.toMatchObject({ code: '23514' });
    expect((await balanceOf(db, accountId)).balance).toBe(1_000_000);
    expect(await balanceMismatches(db)).toEqual([]);
  });

  it('writes one entry per kind and reference', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    expect(await appendEntry(db, { accountId, kind: 'top_up', amount: micros(100), reference: 'pi_same' })).not.toBeNull();
    expect(await appendEntry(db, { accountId, kind: 'top_up', amount: micros(100), reference: 'pi_same' })).toBeNull();
    expect((await balanceOf(db, accountId)).balance).toBe(100);
  });

  it('records an adjustment with its reason and an audit event, and refuses one without a reason', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const operatorId = await createAccount(db, 'operator');
    const entry = await adjust(db, TEST_VAULT, { accountId, amount: micros(-250_000), reason: ' goodwill reversal ', actorAccountId: operatorId });
    expect(entry).toMatchObject({ kind: 'adjustment', amount: -250_000, reason: 'goodwill reversal', actor_account_id: operatorId });
    const audit = await db.selectFrom('audit_events').selectAll().where('subject_account_id', '=', accountId).execute();
    expect(audit).toMatchObject([{ action: 'billing.adjustment', actor_account_id: operatorId, detail: { ledgerEntryId: entry.id, amount: -250_000 } }]);
    await expect(adjust(db, TEST_VAULT, { accountId, amount: micros(1), reason: '  ', actorAccountId: operatorId })).rejects.toBeInstanceOf(AdjustmentError);
    await expect(adjust(db, TEST_VAULT, { accountId, amount: micros(0), reason: 'x', actorAccountId: operatorId })).rejects.toBeInstanceOf(AdjustmentError);
    expect((await balanceOf(db, accountId)).balance).toBe(-250_000);
  });

  it('pages history newest first', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    for (const amount of [1, 2, 3, 4, 5]) await appendEntry(db, { accountId, kind: 'top_up', amount: micros(amount) });
    const first = await ledgerHistory(db, TEST_VAULT, accountId, { limit: 2 });
    const second = await ledgerHistory(db, TEST_VAULT, accountId, { limit: 2, beforeId: first.at(-1)!.id });
    const third = await ledgerHistory(db, TEST_VAULT, accountId, { limit: 2, beforeId: second.at(-1)!.id });
    expect([...first, ...second, ...third].map((entry) => entry.amount)).toEqual([5, 4, 3, 2, 1]);
  });
});

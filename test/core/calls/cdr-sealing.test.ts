// Call records' numbers are stored sealed under their account's key: every reader opens them, abuse detection still
// counts distinct numbers in SQL, erasure hashes the plain number, and records written before sealing get sealed.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { detectAbuse } from '../../../core/abuse/abuse-patterns.ts';
import { openCdr, sealLegacyCallRecords } from '../../../core/calls/cdr.ts';
import { callHistory } from '../../../core/calls/history.ts';
import { eraseAccount } from '../../../core/privacy/erasure.ts';
import { exportAccountData } from '../../../core/privacy/export.ts';
import { runRetention } from '../../../core/privacy/retention.ts';
import { isSealed } from '../../../core/privacy/vault.ts';
import { TEST_PRIVACY, TEST_VAULT as vault } from '../../harness/api.ts';
import { createAccount } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const policy = loadConfig({ ABUSE_BURST_WINDOW_SECONDS: '300', ABUSE_BURST_SHORT_CALL_SECONDS: '10', ABUSE_BURST_DESTINATIONS: '3' }).abuse;
const { tools } = TEST_PRIVACY;

describeEachDialect('sealed call record numbers', (database) => {
  const open = (accountId: string | null, fromNumber: string | null, toNumber: string | null) =>
    openCdr(database().db, vault, { sipCallId: randomUUID(), direction: 'outbound', accountId, fromNumber, toNumber, nodeId: 'seal-test' });
  const raw = (id: string) => database().db.selectFrom('cdrs').select(['from_number', 'to_number']).where('id', '=', id).executeTakeFirstOrThrow();

  it('stores no plain number for a record with an account, and shows the numbers in its history and export', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const id = await open(accountId, '+14155550101', '+442079460101');
    const stored = await raw(id);
    expect(isSealed(stored.from_number) && isSealed(stored.to_number)).toBe(true);
    expect(JSON.stringify(stored)).not.toMatch(/4155550101|2079460101/);

    expect((await callHistory(db, vault, accountId, { limit: 10 })).calls).toMatchObject([{ id, from_number: '+14155550101', to_number: '+442079460101' }]);
    const bundle = await exportAccountData(db, vault, accountId, { kind: 'subject' });
    expect(bundle.data.cdrs).toMatchObject([{ from_number: '+14155550101', to_number: '+442079460101' }]);
  });

  it('keeps a record without an account plain, but drops a dialled text that would read as sealed', async () => {
    const plain = await open(null, null, '+442079460102');
    expect(await raw(plain)).toEqual({ from_number: null, to_number: '+442079460102' });
    const lookalike = await vault.seal(database().db, await createAccount(database().db), 'x');
    expect((await raw(await open(null, null, lookalike))).to_number).toBeNull();
  });

  it('still sees a burst of short calls to distinct numbers, and not repeats of one number', async () => {
    const { db } = database();
    const shortCall = async (accountId: string, to: string) => {
      const id = await open(accountId, null, to);
      await db
        .updateTable('cdrs')
        .set({ phase: 'ended', answered_at: new Date(Date.now() - 5000), ended_at: new Date(), billable_seconds: 5 })
        .where('id', '=', id)
        .execute();
    };
    const repeater = await createAccount(db);
    for (let i = 0; i < 4; i++) await shortCall(repeater, '+442079460200');
    expect(await detectAbuse(db, policy, repeater, new Date())).toBeNull();
    const spreader = await createAccount(db);
    for (const to of ['+442079460201', '+442079460202', '+442079460203']) await shortCall(spreader, to);
    expect(await detectAbuse(db, policy, spreader, new Date())).toMatchObject({ reason: 'burst-of-short-calls', detail: { destinations: 3 } });
  });

  it('de-identifies on erasure with the hash of the plain number, and the sealed numbers never open again', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const id = await open(accountId, '+14155550103', '+442079460103');
    const sealed = await raw(id);
    expect((await eraseAccount(db, accountId, tools)).status).toBe('erased');
    expect(await raw(id)).toEqual({ from_number: `deid:${tools.deidentify('+14155550103')}`, to_number: `deid:${tools.deidentify('+442079460103')}` });
    // A backup taken before the erasure holds the sealed values: with the key destroyed they open to nothing.
    expect(await vault.openAll(db, [sealed.from_number, sealed.to_number])).toEqual([null, null]);
  });

  it('seals the numbers of records written before sealing, once, from the retention run', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    const insert = (values: { account_id: string | null; from_number: string | null; to_number: string | null }) =>
      db
        .insertInto('cdrs')
        .values({ sip_call_id: randomUUID(), direction: 'outbound', phase: 'ended', node_id: 'legacy', ...values })
        .returning('id')
        .executeTakeFirstOrThrow()
        .then((row) => row.id);
    const legacy = await insert({ account_id: accountId, from_number: '+14155550104', to_number: '+442079460104' });
    const half = await insert({ account_id: accountId, from_number: null, to_number: 'deid:anon:0123' });
    const accountless = await insert({ account_id: null, from_number: null, to_number: '+442079460105' });
    const already = await open(accountId, '+14155550104', '+442079460104');

    const counts = await runRetention(db, TEST_PRIVACY.retention, tools, null);
    expect(counts.cdrs_sealed).toBeGreaterThanOrEqual(1);
    const sealed = await raw(legacy);
    // Deterministic: the same numbers as a record written sealed, so distinct counts span old and new records.
    expect(sealed).toEqual(await raw(already));
    expect(await vault.openAll(db, [sealed.from_number, sealed.to_number])).toEqual(['+14155550104', '+442079460104']);
    expect(await raw(half)).toEqual({ from_number: null, to_number: 'deid:anon:0123' });
    expect(await raw(accountless)).toEqual({ from_number: null, to_number: '+442079460105' });
    expect(await sealLegacyCallRecords(db, vault)).toBe(0);
  });

  it('seals legacy records in batches of 1000 until none is left', async () => {
    const { db } = database();
    const accountId = await createAccount(db);
    await sql`
      insert into cdrs (sip_call_id, direction, account_id, from_number, to_number, phase, node_id)
      select 'legacy-' || n, 'outbound', ${accountId}, '+14155550106', '+4420794' || lpad(n::text, 5, '0'), 'ended', 'legacy'
      from generate_series(1, 1500) as n
    `.execute(db);
    expect(await sealLegacyCallRecords(db, vault, 1)).toBe(1000);
    expect(await sealLegacyCallRecords(db, vault)).toBe(500);
    const left = await db
      .selectFrom('cdrs')
      .select((eb) => eb.fn.countAll<string>().as('plain'))
      .where('account_id', '=', accountId)
      .where('to_number', 'not like', 'v1.%')
      .executeTakeFirstOrThrow();
    expect(Number(left.plain)).toBe(0);
  });
});

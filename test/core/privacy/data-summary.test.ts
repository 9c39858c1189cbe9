/**
 * "Your data, in plain view" (core/privacy/data-summary.ts): per kind of data, counts that agree with the export,
 * the next date retention changes some of it, and a legal hold told to the subject only as a pause of deletion.
 */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { KIND_OF_TABLE, summarizeAccountData, type DataKind } from '../../../core/privacy/data-summary.ts';
import { liftLegalHold, placeLegalHold } from '../../../core/privacy/legal-holds.ts';
import { accountDataSources } from '../../../core/privacy/registry.ts';
import { TEST_PRIVACY, TEST_VAULT, signIn, useTestApi } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const DAY = 86_400_000;
const windows = TEST_PRIVACY.retention;

describeEachDialect('data summary', (database) => {
  const api = useTestApi(database);
  const db = () => database().db;

  async function call(accountId: string, startedAt: Date, from: string, to: string) {
    await db()
      .insertInto('cdrs')
      .values({
        sip_call_id: `summary-${from}-${startedAt.getTime()}`,
        direction: 'outbound',
        account_id: accountId,
        from_number: from,
        to_number: to,
        phase: 'ended',
        node_id: 'n',
        started_at: startedAt,
      })
      .execute();
  }

  it('every table the subject may see belongs to one kind; withheld ones to none', () => {
    for (const source of accountDataSources) {
      if (source.withheldFromSubject === undefined) expect(KIND_OF_TABLE[source.table], source.table).toBeDefined();
      else expect(KIND_OF_TABLE[source.table], source.table).toBeUndefined();
    }
  });

  it('counts each kind as the export does, with the next retention change from the windows', async () => {
    const user = await signIn(api(), db());
    const now = Date.now();
    const recent = new Date(now - 10 * DAY);
    const old = new Date(now - 200 * DAY);
    await call(user.accountId, recent, '+14155550101', '+442079460101');
    await call(user.accountId, old, 'deid:aaaa', 'deid:bbbb');
    const mailedAt = new Date(now - 2 * DAY);
    await sql`update email_outbox set sent_at = ${mailedAt}, created_at = ${mailedAt} where account_id = ${user.accountId}`.execute(db());

    const summary = await summarizeAccountData(db(), user.accountId, windows);
    expect(summary.kinds.map((entry) => entry.kind)).toEqual(['account', 'calls', 'payments', 'devices', 'mail', 'security']);
    const kind = (name: DataKind) => summary.kinds.find((entry) => entry.kind === name)!;

    const exported: Partial<Record<DataKind, number>> = {};
    for (const source of accountDataSources.filter((candidate) => candidate.withheldFromSubject === undefined)) {
      const name = KIND_OF_TABLE[source.table]!;
      exported[name] = (exported[name] ?? 0) + (await source.export(db(), user.accountId)).length;
    }
    for (const entry of summary.kinds) expect(entry.count, entry.kind).toBe(exported[entry.kind] ?? 0);
    expect(kind('calls').count).toBe(2);
    expect(kind('mail').count).toBe(1);
    expect(kind('account').count).toBeGreaterThanOrEqual(2); // the account and its session
    expect(kind('calls').holds).toEqual(['your call records: numbers, times, duration, outcome, cost, and how each call sounded to your browser']);

    // The plain-numbered call is de-identified first; the de-identified one goes years later.
    expect(kind('calls').nextChange).toEqual({ on: new Date(recent.getTime() + windows.callDetailDays * DAY), change: 'deidentify', what: expect.any(String) });
    expect(kind('mail').nextChange).toEqual({ on: new Date(mailedAt.getTime() + windows.sentMailDays * DAY), change: 'delete', what: expect.any(String) });
    const session = await db().selectFrom('sessions').select('expires_at').where('account_id', '=', user.accountId).executeTakeFirstOrThrow();
    expect(kind('account').nextChange).toMatchObject({ on: session.expires_at, change: 'delete' });
    const login = await db()
      .selectFrom('audit_events')
      .select('occurred_at')
      .where('subject_account_id', '=', user.accountId)
      .where('action', 'like', 'auth.%')
      .orderBy('occurred_at')
      .executeTakeFirstOrThrow();
    expect(kind('security').nextChange).toMatchObject({ on: new Date(login.occurred_at.getTime() + windows.usageDays * DAY), change: 'delete' });
    expect(kind('payments').nextChange).toBeNull();
    expect(kind('devices')).toMatchObject({ count: 0, nextChange: null });
    expect(summary.deletionPausedBy).toEqual([]);
  });

  it('once every call is de-identified, the next change is their deletion after the de-identified window', async () => {
    const user = await signIn(api(), db());
    const old = new Date(Date.now() - 200 * DAY);
    await call(user.accountId, old, 'deid:cccc', 'deid:dddd');
    const calls = (await summarizeAccountData(db(), user.accountId, windows)).kinds.find((entry) => entry.kind === 'calls');
    expect(calls?.nextChange).toMatchObject({ on: new Date(old.getTime() + windows.deidentifiedYears * 365 * DAY), change: 'delete' });
  });

  it('an active legal hold shows as a legal obligation pausing deletion, and nothing of the hold itself', async () => {
    const operator = await signIn(api(), db(), { role: 'operator' });
    const user = await signIn(api(), db());
    const holdId = await placeLegalHold(db(), TEST_VAULT, operator.accountId, user.accountId, 'court order 2026/977 about Ana');
    const held = await summarizeAccountData(db(), user.accountId, windows);
    expect(held.deletionPausedBy).toEqual(['legal_obligation']);
    const text = JSON.stringify(held);
    for (const secret of ['2026/977', holdId, operator.accountId, 'legal_holds']) expect(text).not.toContain(secret);
    expect(await liftLegalHold(db(), operator.accountId, user.accountId, holdId)).toBe(true);
    expect((await summarizeAccountData(db(), user.accountId, windows)).deletionPausedBy).toEqual([]);
  });

  it('an open card dispute shows too (the subject sees disputes in the export)', async () => {
    const user = await signIn(api(), db());
    await db().insertInto('account_holds').values({ account_id: user.accountId, kind: 'dispute', reference: 'dp_summary' }).execute();
    const summary = await summarizeAccountData(db(), user.accountId, windows);
    expect(summary.deletionPausedBy).toEqual(['open_dispute']);
    expect(summary.kinds.find((entry) => entry.kind === 'payments')?.count).toBe(1);
    await db()
      .updateTable('account_holds')
      .set({ released_at: sql`now()` })
      .where('account_id', '=', user.accountId)
      .execute();
    expect((await summarizeAccountData(db(), user.accountId, windows)).deletionPausedBy).toEqual([]);
  });
});

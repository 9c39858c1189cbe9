import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { RetentionWindows } from '../../../core/privacy/data-source.ts';
import { runRetention } from '../../../core/privacy/retention.ts';
import { retentionJob } from '../../../jobs/retention.ts';
import { startScheduler } from '../../../jobs/scheduler.ts';
import { createLogger } from '../../../logger.ts';
import { TEST_PRIVACY } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const WINDOWS: RetentionWindows = { usageDays: 30, callDetailDays: 90, deidentifiedYears: 7, sentMailDays: 7 };
const tools = TEST_PRIVACY.tools;

describeEachDialect('retention', (database) => {
  const db = () => database().db;
  const ago = (interval: string) => sql<Date>`now() - ${sql.raw(`interval '${interval}'`)}`;

  async function account(status: 'active' | 'deleted' = 'active') {
    return (
      await db()
        .insertInto('accounts')
        .values({ email: status === 'deleted' ? null : `r-${Math.random()}@example.org`, status })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  async function audit(action: string, subject: string, when: string) {
    return (
      await db()
        .insertInto('audit_events')
        .values({ action, subject_account_id: subject, occurred_at: ago(when) })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  async function mail(accountId: string, when: string, state: 'sent' | 'given_up' | 'queued') {
    const row = await db()
      .insertInto('email_outbox')
      .values({
        account_id: accountId,
        kind: 'test',
        to_address: 'r@example.org',
        subject: 's',
        body_text: 'b',
        created_at: ago(when),
        sent_at: state === 'sent' ? ago(when) : null,
        attempts: state === 'given_up' ? 10 : 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  const exists = async (table: 'audit_events' | 'email_outbox', id: number) =>
    (await db().selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

  it('removes what is past its window, keeps the rest, and a second run finds nothing', async () => {
    const user = await account();
    const erased = await account('deleted');
    await db()
      .insertInto('sessions')
      .values([
        { account_id: user, token_hash: `expired-${Math.random()}`, expires_at: ago('1 second') },
        { account_id: user, token_hash: `live-${Math.random()}`, expires_at: sql<Date>`now() + interval '1 hour'` },
      ])
      .execute();
    await db()
      .insertInto('email_tokens')
      .values({ account_id: user, purpose: 'reset_password', token_hash: `t-${Math.random()}`, expires_at: ago('1 second') })
      .execute();
    await db()
      .insertInto('rate_limit_counters')
      .values({ key: `k-${Math.random()}`, window_start: ago('2 hours'), expires_at: ago('1 hour') })
      .execute();
    const oldLogin = await audit('auth.login', user, '31 days');
    const recentLogin = await audit('auth.login', user, '29 days');
    const oldExport = await audit('privacy.export', user, '31 days');
    const ancientErased = await audit('privacy.erased', erased, '8 years');
    const recentErased = await audit('privacy.erased', erased, '6 years');
    const oldSent = await mail(user, '8 days', 'sent');
    const oldGivenUp = await mail(user, '8 days', 'given_up');
    const oldQueued = await mail(user, '8 days', 'queued');
    const recentSent = await mail(user, '6 days', 'sent');

    const counts = await runRetention(db(), WINDOWS, tools, null);
    expect(counts).toMatchObject({ sessions: 1, email_tokens: 1, email_outbox: 2, audit_events: 2, rate_limit_counters: 1, erased_accounts: 0 });
    expect(await exists('audit_events', oldLogin)).toBe(false);
    expect(await exists('audit_events', recentLogin)).toBe(true);
    expect(await exists('audit_events', oldExport)).toBe(true); // privacy requests are kept for the legal window
    expect(await exists('audit_events', ancientErased)).toBe(false);
    expect(await exists('audit_events', recentErased)).toBe(true);
    expect(await exists('email_outbox', oldSent)).toBe(false);
    expect(await exists('email_outbox', oldGivenUp)).toBe(false);
    expect(await exists('email_outbox', oldQueued)).toBe(true); // still to be delivered
    expect(await exists('email_outbox', recentSent)).toBe(true);
    expect(await db().selectFrom('sessions').select('id').where('account_id', '=', user).execute()).toHaveLength(1);

    const second = await runRetention(db(), WINDOWS, tools, null);
    expect(Object.values(second).every((count) => count === 0)).toBe(true);
    const runs = await db().selectFrom('audit_events').select('detail').where('action', '=', 'privacy.retention_run').orderBy('id', 'desc').limit(2).execute();
    expect(runs.map((run) => run.detail.counts)).toEqual([second, counts]);
  });

  it('follows the configured windows', async () => {
    const user = await account();
    const login = await audit('auth.login', user, '40 days');
    await runRetention(db(), { ...WINDOWS, usageDays: 60 }, tools, null);
    expect(await exists('audit_events', login)).toBe(true);
    await runRetention(db(), { ...WINDOWS, usageDays: 35 }, tools, null);
    expect(await exists('audit_events', login)).toBe(false);
  });

  it("runs as the jobs role's retention job", async () => {
    const user = await account();
    const login = await audit('auth.login_failed', user, '90 days');
    const scheduler = startScheduler([retentionJob(db(), WINDOWS, tools)], createLogger('silent'));
    const counts = await scheduler.runNow('retention');
    await scheduler.stop();
    expect(counts).toMatchObject({ audit_events: 1 });
    expect(await exists('audit_events', login)).toBe(false);
  });
});

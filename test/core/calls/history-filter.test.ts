import { expect, it } from 'vitest';
import { callHistory } from '../../../core/calls/history.ts';
import { isMissed } from '../../../core/calls/history-filter.ts';
import type { CallState } from '../../../core/calls/call-state.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { createAccount } from '../../harness/billing.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { seedCall } from '../../harness/seeded-calls.ts';

describeEachDialect('missed calls (core/calls/history-filter.ts)', (database) => {
  it('reads a record as missed exactly when the history’s missed filter selects it', async () => {
    const accountId = await createAccount(database().db);
    const unanswered: CallState[] = [
      { phase: 'cancelled' },
      { phase: 'failed', status: 480, cause: 'missed-with-push' },
      { phase: 'failed', status: 486, cause: 'device answered 486' },
      { phase: 'failed', status: 603, cause: 'device answered 603' },
      { phase: 'failed', status: 503, cause: 'trunk-failure' },
      { phase: 'failed', status: null, cause: 'orphaned-by-restart', by: 'system' },
      { phase: 'refused', refusal: { reason: 'offline' } },
    ];
    for (const [i, state] of unanswered.entries()) {
      await seedCall(database(), accountId, { direction: 'inbound', to: '+14155550100', startedAt: `2026-11-0${i + 1}T10:00:00Z`, unanswered: state });
    }
    await seedCall(database(), accountId, { direction: 'inbound', to: '+14155550100', startedAt: '2026-11-09T10:00:00Z', talkSeconds: 30 });
    const all = await callHistory(database().db, TEST_VAULT, accountId, { limit: 50 });
    const missed = await callHistory(database().db, TEST_VAULT, accountId, { limit: 50 }, { outcome: 'missed' });
    expect(all.calls).toHaveLength(8);
    expect(all.calls.filter(isMissed).map((call) => call.id)).toEqual(missed.calls.map((call) => call.id));
    expect(missed.calls.map((call) => call.hangup_cause)).toEqual(['device answered 603', 'device answered 486', 'missed-with-push', 'caller-cancelled']);
  });
});

/**
 * A browser's own report of how a call sounded (softphone/src/app/call-quality.ts measures it), stored on that
 * user's record of the call. Each party's browser reports on its own record: an on-net call has one record per
 * party (signaling/invite/ring-devices.ts), so the caller's figures and the callee's never mix, and each user sees
 * (and exports) only their own side. The media server's MOS of the same call stays in `mos`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/** Integers only, as stored: MOS in hundredths (1.00-5.00), times in ms, loss in thousandths of received packets. */
export interface BrowserQuality {
  readonly mosHundredths: number;
  readonly rttMs: number;
  readonly jitterMs: number;
  readonly lossPermille: number;
}

/**
 * `recorded`: stored now; `repeated`: the same figures were stored already (a retried post); `conflict`: other
 * figures are on record (the first report stands); `not-found`: no such call of this account; `not-answered`: the
 * call never connected, so there was no audio to score.
 */
export type QualityRecording = 'recorded' | 'repeated' | 'conflict' | 'not-found' | 'not-answered';

/**
 * Stores the report once, on the account's own record only; a repeat of it changes nothing.
 * @example
 * const outcome = await recordBrowserQuality(db, accountId, cdrId, { mosHundredths: 431, rttMs: 12, jitterMs: 3, lossPermille: 0 });
 */
export async function recordBrowserQuality(db: Kysely<Database>, accountId: string, cdrId: string, quality: BrowserQuality): Promise<QualityRecording> {
  const written = await db
    .updateTable('cdrs')
    .set({
      browser_mos: quality.mosHundredths,
      browser_rtt_ms: quality.rttMs,
      browser_jitter_ms: quality.jitterMs,
      browser_loss_permille: quality.lossPermille,
    })
    .where('id', '=', cdrId)
    .where('account_id', '=', accountId)
    .where('answered_at', 'is not', null)
    .where('browser_mos', 'is', null)
    .executeTakeFirst();
  if (Number(written.numUpdatedRows) === 1) return 'recorded';
  const row = await db
    .selectFrom('cdrs')
    .select(['answered_at', 'browser_mos', 'browser_rtt_ms', 'browser_jitter_ms', 'browser_loss_permille'])
    .where('id', '=', cdrId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return 'not-found';
  if (row.answered_at === null) return 'not-answered';
  const same =
    row.browser_mos === quality.mosHundredths &&
    row.browser_rtt_ms === quality.rttMs &&
    row.browser_jitter_ms === quality.jitterMs &&
    row.browser_loss_permille === quality.lossPermille;
  return same ? 'repeated' : 'conflict';
}

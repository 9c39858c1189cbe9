/**
 * The calls whose records are still open, for the operator console's live calls (with hang-up): who pays or is
 * called, which trunk, how far along, for how long. The numbers are sealed under each account's key; the operator
 * sees them opened and masked to their last four digits, enough to match a call a user describes ("my call to
 * …0958") without showing who anyone calls. The account's address is shown whole: it is how operators name accounts.
 */
import type { Kysely } from 'kysely';
import type { CallDirection, Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';

/** Digits kept in clear at a number's end. */
const SHOWN_DIGITS = 4;

export interface LiveCall {
  readonly id: string;
  readonly direction: CallDirection;
  readonly accountId: string | null;
  /** Null for an erased account, or none. */
  readonly accountEmail: string | null;
  readonly trunk: string | null;
  readonly phase: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly startedAt: Date;
  readonly answeredAt: Date | null;
  /** Talk time so far when answered, else time since the call started; whole seconds. */
  readonly seconds: number;
  readonly nodeId: string;
  readonly hangUpRequestedAt: Date | null;
}

/**
 * `+442079460958` -> `+•••••••••0958`: every digit but the last four hidden; anything else (`+`, `*43`,
 * `anonymous`) left as it is.
 */
export function maskNumber(number: string | null): string | null {
  if (number === null) return null;
  let kept = 0;
  return [...number]
    .reverse()
    .map((char) => (/\d/.test(char) && (kept += 1) > SHOWN_DIGITS ? '•' : char))
    .reverse()
    .join('');
}

/** Newest first, at most `limit`, through 0021's partial index of open records. */
export async function liveCalls(db: Kysely<Database>, vault: Vault, now: Date, limit: number): Promise<LiveCall[]> {
  const rows = await db
    .selectFrom('cdrs')
    .leftJoin('accounts', 'accounts.id', 'cdrs.account_id')
    .leftJoin('trunks', 'trunks.id', 'cdrs.trunk_id')
    .select([
      'cdrs.id',
      'cdrs.direction',
      'cdrs.account_id',
      'accounts.email',
      'trunks.name as trunk',
      'cdrs.phase',
      'cdrs.from_number',
      'cdrs.to_number',
      'cdrs.started_at',
      'cdrs.answered_at',
      'cdrs.node_id',
      'cdrs.hangup_requested_at',
    ])
    .where('cdrs.ended_at', 'is', null)
    .orderBy('cdrs.started_at', 'desc')
    .orderBy('cdrs.id', 'desc')
    .limit(limit)
    .execute();
  const opened = await vault.openAll(
    db,
    rows.flatMap((row) => [row.email, row.from_number, row.to_number]),
  );
  return rows.map((row, i) => ({
    id: row.id,
    direction: row.direction,
    accountId: row.account_id,
    accountEmail: opened[3 * i] ?? null,
    trunk: row.trunk,
    phase: row.phase,
    from: maskNumber(opened[3 * i + 1] ?? null),
    to: maskNumber(opened[3 * i + 2] ?? null),
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    seconds: Math.max(0, Math.floor((now.getTime() - (row.answered_at ?? row.started_at).getTime()) / 1000)),
    nodeId: row.node_id,
    hangUpRequestedAt: row.hangup_requested_at,
  }));
}

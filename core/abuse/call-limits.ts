/**
 * The call limits that apply to one account: the operator's defaults, tighter for a new account, and the
 * operator's per-account limits (account_call_limits) over both. A per-account limit may loosen as well as
 * tighten (a trusted business line); null there means "the default".
 */
import { sql, type Kysely } from 'kysely';
import type { AccountStatus, Database } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { micros } from '../money.ts';
import type { AbusePolicy, CallLimits } from './policy.ts';
import type { Suspension } from './suspension.ts';

/** An operator's per-account limits; null: the default. */
export interface LimitOverrides {
  readonly maxConcurrentCalls: number | null;
  readonly callsPerMinute: number | null;
  readonly dailySpendCap: number | null;
  readonly allowedCountries: readonly string[] | null;
}

export const NO_OVERRIDES: LimitOverrides = { maxConcurrentCalls: null, callsPerMinute: null, dailySpendCap: null, allowedCountries: null };

export interface AccountFacts {
  readonly status: AccountStatus;
  readonly created_at: Date;
}

/** Unverified e-mail address, or younger than the policy's new-account period. */
export function isNewAccount(policy: Pick<AbusePolicy, 'newAccount'>, account: AccountFacts, now: Date): boolean {
  return account.status === 'pending' || account.created_at.getTime() > now.getTime() - policy.newAccount.days * 86_400_000;
}

/** The tighter of two limits where 0 means none. */
function tighter(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

/**
 * @example effectiveLimits(policy, { status: 'active', created_at: new Date() }, NO_OVERRIDES, new Date()).callsPerMinute
 */
export function effectiveLimits(policy: Pick<AbusePolicy, 'defaults' | 'newAccount'>, account: AccountFacts, overrides: LimitOverrides, now: Date): CallLimits {
  const base = policy.defaults;
  const fresh = policy.newAccount.limits;
  const start = isNewAccount(policy, account, now)
    ? {
        maxConcurrentCalls: Math.min(base.maxConcurrentCalls, fresh.maxConcurrentCalls),
        callsPerMinute: tighter(base.callsPerMinute, fresh.callsPerMinute),
        dailySpendCap: micros(tighter(base.dailySpendCap, fresh.dailySpendCap)),
      }
    : base;
  return {
    maxConcurrentCalls: overrides.maxConcurrentCalls ?? start.maxConcurrentCalls,
    callsPerMinute: overrides.callsPerMinute ?? start.callsPerMinute,
    dailySpendCap: micros(overrides.dailySpendCap ?? start.dailySpendCap),
    allowedCountries: overrides.allowedCountries ?? base.allowedCountries,
  };
}

export interface AccountLimits {
  readonly limits: CallLimits;
  readonly overrides: LimitOverrides;
  readonly newAccount: boolean;
  /** Read in the same query, since every call needs both. */
  readonly suspension: Suspension | null;
}

/** The account's limits as they apply `now`, and its outbound suspension; undefined when there is no such account. */
export async function accountLimits(db: Kysely<Database>, policy: AbusePolicy, accountId: string, now: Date): Promise<AccountLimits | undefined> {
  const row = await db
    .selectFrom('accounts')
    .leftJoin('account_call_limits', 'account_call_limits.account_id', 'accounts.id')
    .select([
      'accounts.status',
      'accounts.created_at',
      'max_concurrent_calls',
      'calls_per_minute',
      'daily_spend_cap',
      'allowed_countries',
      'suspended_at',
      'suspension_reason',
      'suspended_by',
    ])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const overrides: LimitOverrides = {
    maxConcurrentCalls: row.max_concurrent_calls,
    callsPerMinute: row.calls_per_minute,
    dailySpendCap: row.daily_spend_cap === null ? null : Number(row.daily_spend_cap),
    allowedCountries: row.allowed_countries,
  };
  const suspension = row.suspended_at === null ? null : { since: row.suspended_at, reason: row.suspension_reason ?? '', by: row.suspended_by };
  return { limits: effectiveLimits(policy, row, overrides, now), overrides, newAccount: isNewAccount(policy, row, now), suspension };
}

/**
 * Sets an account's limits (all four: null puts one back to the default); audited with the operator.
 * @example await setLimitOverrides(db, accountId, { ...NO_OVERRIDES, callsPerMinute: 60 }, operatorId);
 */
export async function setLimitOverrides(db: Kysely<Database>, accountId: string, overrides: LimitOverrides, operatorId: string): Promise<void> {
  const values = {
    max_concurrent_calls: overrides.maxConcurrentCalls,
    calls_per_minute: overrides.callsPerMinute,
    daily_spend_cap: overrides.dailySpendCap,
    allowed_countries: overrides.allowedCountries === null ? null : [...overrides.allowedCountries],
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('account_call_limits')
      .values({ account_id: accountId, ...values })
      .onConflict((conflict) => conflict.column('account_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
      .execute();
    await recordAudit(trx, { action: 'abuse.limits_set', actorAccountId: operatorId, subjectAccountId: accountId, detail: { ...overrides } });
  });
}

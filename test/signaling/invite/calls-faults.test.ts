// An internal error at each step of an outbound call, forced in the real database by a trigger that fails one write
// for one dialled number: no step may leave credit held, a record open, or the caller unanswered. (A trunk that
// cannot be dialled from our side, the dial step's own fault, is in calls.test.ts: the next trunk is tried.)
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { billableSecondsFromCdr, expireStaleReservations } from '../../../core/billing/reservations.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { runSipp, sippBinary } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

/** Each step's write, failed for one number: the trigger's table, timing and the column value that marks the write. */
const FAULTS = {
  open: { number: '+442079460901', on: 'insert on cdrs' },
  hold: { number: '+442079460902', on: 'insert on reservations' },
  answer: { number: '+442079460903', on: 'update on cdrs', when: ['phase', 'answered'] },
  settle: { number: '+442079460904', on: 'update on reservations', when: ['status', 'settled'] },
} as const;

describe.skipIf(missing)('internal errors at each step of a call', () => {
  const suite = useCallStack({ CALL_HEARTBEAT_SECONDS: '1' }, async (db) => {
    // 6.00 a minute by the second to the UK: 0.10 per started second.
    await createRate(db, toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }));
    // Records hold the dialled number sealed under the caller's key: each caller's sealed values are listed here.
    await sql`create table test_fault_numbers (stored text primary key, plain text not null)`.execute(db);
    await sql`
      create function test_fault() returns trigger language plpgsql as $$
      declare dialled text;
      begin
        if TG_TABLE_NAME = 'cdrs' then dialled := NEW.to_number;
        else select to_number into dialled from cdrs where id = NEW.cdr_id;
        end if;
        dialled := coalesce((select f.plain from test_fault_numbers f where f.stored = dialled), dialled);
        if dialled = TG_ARGV[0] and (TG_NARGS = 1 or to_jsonb(NEW) ->> TG_ARGV[1] = TG_ARGV[2]) then
          raise exception 'injected fault';
        end if;
        return NEW;
      end $$`.execute(db);
    for (const [step, fault] of Object.entries(FAULTS)) {
      const args = [fault.number, ...('when' in fault ? fault.when : [])].map((arg) => `'${arg}'`).join(', ');
      await sql.raw(`create trigger fault_${step} before ${fault.on} for each row execute function test_fault(${args})`).execute(db);
    }
  });
  const fixtures = callFixtures(
    () => suite.database,
    refreshOf(() => suite.stack),
  );
  const { carrier, lastCdr, finishedCdr } = fixtures;
  /** A caller whose calls to the fault numbers the trigger recognises (sealed deterministically, as openCdr does). */
  async function caller(username: string, credit: number) {
    const who = await fixtures.caller(username, credit);
    const { db } = suite.database;
    const numbers = Object.values(FAULTS).map((fault) => fault.number);
    const sealed = await TEST_VAULT.sealAll(db, who.accountId, numbers, { deterministic: true });
    await sql`insert into test_fault_numbers (stored, plain) select * from unnest(${sealed}::text[], ${numbers}::text[])`.execute(db);
    return who;
  }

  async function expectNothingHeld(accountId: string, credit: number) {
    const { db } = suite.database;
    // The hold is let go just after the record is closed (core/calls/orphans.ts closeFaultedRecords).
    await vi.waitFor(async () =>
      expect(await db.selectFrom('reservations').select('status').where('account_id', '=', accountId).where('status', '=', 'active').execute()).toEqual([]),
    );
    expect(await balanceOf(db, accountId)).toEqual({ balance: credit, reserved: 0, available: credit });
    expect(await balanceMismatches(db)).toEqual([]);
  }

  /** A call the fault must refuse: 500 internal-error to the caller. */
  async function refusedWithInternalError(username: string, number: string) {
    const who = await caller(username, 10 * UNIT);
    await carrier('carrier-a', 'uas-answer.xml');
    const call = await runSipp({
      scenario: 'uac-call-refused.xml',
      target: suite.stack.target,
      fields: [who.fields(number)],
      keys: { expect: '500', reason: 'internal-error' },
    });
    expect(call.code, call.log).toBe(0);
    return who.accountId;
  }

  it('opening the record fails: 500 internal-error, nothing held', async () => {
    const accountId = await refusedWithInternalError('olga', FAULTS.open.number);
    expect(await suite.database.db.selectFrom('cdrs').select('id').where('account_id', '=', accountId).execute()).toEqual([]);
    await expectNothingHeld(accountId, 10 * UNIT);
  });

  it('holding the credit fails: 500 internal-error, the record failed with the cause', async () => {
    const accountId = await refusedWithInternalError('hana', FAULTS.hold.number);
    expect(await finishedCdr(accountId)).toMatchObject({ phase: 'failed', sip_status: 500, hangup_cause: 'internal-error', ended_by: 'system' });
    await expectNothingHeld(accountId, 10 * UNIT);
  });

  it('recording the answer fails: both legs get BYE at once, the record failed, the hold released', async () => {
    const anna = await caller('anna', 10 * UNIT);
    // Each end passes only if our BYE reaches it.
    const answering = await carrier('carrier-a', 'uas-answer.xml');
    const call = await runSipp({ scenario: 'uac-call-max-duration-expect-bye.xml', target: suite.stack.target, fields: [anna.fields(FAULTS.answer.number)] });
    expect(call.code, call.log).toBe(0);
    const carrierRun = await answering.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);
    expect(await finishedCdr(anna.accountId)).toMatchObject({ phase: 'failed', hangup_cause: 'internal-error', ended_by: 'system', answered_at: null });
    await expectNothingHeld(anna.accountId, 10 * UNIT);
  });

  it('settling at the end fails: the end is on record with its seconds, and the expiring hold charges exactly those', async () => {
    const { db } = suite.database;
    const sara = await caller('sara', 10 * UNIT);
    await carrier('carrier-a', 'uas-answer.xml');
    const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: suite.stack.target, fields: [sara.fields(FAULTS.settle.number, 1500)] });
    expect(call.code, call.log).toBe(0);
    const ended = await finishedCdr(sara.accountId);
    expect(ended).toMatchObject({ phase: 'ended', ended_by: 'caller', cost: null });
    const seconds = ended!.billable_seconds!;
    expect(seconds).toBeGreaterThan(0);
    // Not marked alive past its end, though its hold is still open.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await lastCdr(sara.accountId))!.alive_at).toEqual(ended!.alive_at);
    await sql`drop trigger fault_settle on reservations`.execute(db);
    await expireStaleReservations(db, new Date(Date.now() + 86_400_000), billableSecondsFromCdr());
    expect(await db.selectFrom('reservations').select(['status', 'charged']).where('cdr_id', '=', ended!.id).executeTakeFirstOrThrow()).toEqual({
      status: 'expired',
      charged: seconds * (UNIT / 10),
    });
    expect(await balanceOf(db, sara.accountId)).toEqual({
      balance: 10 * UNIT - seconds * (UNIT / 10),
      reserved: 0,
      available: 10 * UNIT - seconds * (UNIT / 10),
    });
    expect(await balanceMismatches(db)).toEqual([]);
  });
});

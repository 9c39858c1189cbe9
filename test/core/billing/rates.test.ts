import { expect, it } from 'vitest';
import { findRate } from '../../../core/billing/rating.ts';
import { createRate, deleteRate, importRatesCsv, listRates, RateConflictError, toRateInput, updateRate } from '../../../core/billing/rates.ts';
import type { E164 } from '../../../core/numbers.ts';
import { describeEachDialect } from '../../harness/databases.ts';

const HEADER = 'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from';
const at = (iso: string) => new Date(iso);

describeEachDialect('rates', (database) => {
  it('matches the longest prefix that has a rate', async () => {
    const { db } = database();
    const result = await importRatesCsv(
      db,
      [
        HEADER,
        '44,UK,0.02,60,60,0,2026-01-01T00:00:00Z',
        '447,UK mobile,0.10,30,6,0.01,2026-01-01T00:00:00Z',
        '4475,UK mobile special,0.50,1,1,,2026-01-01T00:00:00Z',
      ].join('\n'),
    );
    expect(result).toEqual({ ok: true, imported: 3 });
    const now = at('2026-02-01T12:00:00Z');
    expect((await findRate(db, '+442079460958' as E164, now))?.description).toBe('UK');
    expect((await findRate(db, '+447700900123' as E164, now))?.description).toBe('UK mobile');
    expect(await findRate(db, '+447500900123' as E164, now)).toMatchObject({ description: 'UK mobile special', price_per_minute: 500_000 });
    expect(await findRate(db, '+33142685300' as E164, now)).toBeNull();
    expect(await findRate(db, '+442079460958' as E164, at('2025-12-31T23:59:59Z'))).toBeNull();
  });

  it('applies a rate change mid-day from its effective time', async () => {
    const { db } = database();
    await createRate(
      db,
      toRateInput({
        prefix: '49',
        description: 'DE old',
        pricePerMinute: '0.03',
        firstIncrement: 60,
        nextIncrement: 60,
        effectiveFrom: '2026-03-01T00:00:00Z',
      }),
    );
    await createRate(
      db,
      toRateInput({
        prefix: '+49',
        description: 'DE new',
        pricePerMinute: '0.025',
        firstIncrement: 1,
        nextIncrement: 1,
        effectiveFrom: '2026-03-10T13:30:00+01:00',
      }),
    );
    const number = '+4930901820' as E164;
    expect((await findRate(db, number, at('2026-03-10T12:29:59Z')))?.description).toBe('DE old');
    expect((await findRate(db, number, at('2026-03-10T12:30:00Z')))?.description).toBe('DE new');
    expect((await findRate(db, number, at('2026-03-11T00:00:00Z')))?.price_per_minute).toBe(25_000);
  });

  it('imports nothing when any line is bad, and reports every bad line', async () => {
    const { db } = database();
    const before = await listRates(db, { limit: 1000, offset: 0 });
    const result = await importRatesCsv(
      db,
      [
        HEADER,
        '1212,NYC,0.01,60,60,0,2026-01-01T00:00:00Z',
        'abc,bad prefix,0.01,60,60,0,2026-01-01T00:00:00Z',
        '',
        '1213,bad price,1.2345678,60,60,0,2026-01-01T00:00:00Z',
        '1214,bad increment,0.01,0,60,0,2026-01-01T00:00:00Z',
        '1215,no zone,0.01,60,60,0,2026-01-01',
        '1216,short line,0.01',
        '1212,NYC again,0.02,60,60,0,2026-01-01T00:00:00Z',
      ].join('\n'),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.line)).toEqual([3, 5, 6, 7, 8, 9]);
    expect(result.errors[0]?.message).toMatch(/prefix/);
    expect(result.errors[5]?.message).toMatch(/line 2/);
    expect(await listRates(db, { limit: 1000, offset: 0 })).toEqual(before);
  });

  it('reports a wrong header and malformed CSV', async () => {
    const { db } = database();
    expect(await importRatesCsv(db, 'prefix,price\n44,1\n')).toMatchObject({ ok: false, errors: [{ line: 1 }] });
    expect(await importRatesCsv(db, `${HEADER}\n"44,UK,0.02,60,60,0,2026-01-01T00:00:00Z\n`)).toMatchObject({ ok: false });
    expect(await importRatesCsv(db, '')).toMatchObject({ ok: false, errors: [{ line: 1 }] });
  });

  it('replaces a rate with the same prefix and date on re-import', async () => {
    const { db } = database();
    await importRatesCsv(db, `${HEADER}\n33,FR,0.02,60,60,0,2026-01-01T00:00:00Z\n`);
    await importRatesCsv(db, `${HEADER}\n33,FR,0.015,60,60,0,2026-01-01T00:00:00Z\n`);
    const rates = await listRates(db, { prefix: '33', limit: 10, offset: 0 });
    expect(rates.map((rate) => rate.price_per_minute)).toEqual([15_000]);
  });

  it('creates, updates and deletes one rate; a duplicate is a conflict', async () => {
    const { db } = database();
    const fields = { prefix: '39', pricePerMinute: '0.02', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2026-01-01T00:00:00Z' };
    const rate = await createRate(db, toRateInput(fields));
    await expect(createRate(db, toRateInput(fields))).rejects.toBeInstanceOf(RateConflictError);
    expect(await updateRate(db, rate.id, toRateInput({ ...fields, pricePerMinute: '0.03' }))).toMatchObject({ price_per_minute: 30_000 });
    expect(await deleteRate(db, rate.id)).toBe(true);
    expect(await deleteRate(db, rate.id)).toBe(false);
    expect(await updateRate(db, rate.id, toRateInput(fields))).toBeNull();
  });
});

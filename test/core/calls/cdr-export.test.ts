// The operator export writes the same text whichever way it is read: COPY on Postgres, keyset batches on PGlite,
// and both match the JavaScript formatting the rest of the API uses (toISOString, formatDecimal). Numbers of records
// with an account are stored sealed: both paths open them, and write null once the account's key is destroyed.
import { text } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { CDR_EXPORT_COLUMNS, copyCdrs, exportCdrs, type ExportedCdr } from '../../../core/calls/cdr-export.ts';
import { formatDecimal, micros } from '../../../core/money.ts';
import { TEST_VAULT as vault } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

// What a Call-ID, a refusal reason or a node name may carry into a CSV or JSON line.
const AWKWARD = ['plain', 'comma, inside', 'quote " inside', 'new\nline', 'back\\slash', 'tab\tand\rreturn', 'émoji ☎️', '', 'bell \u0007'];
const COSTS = [null, 0, 1, 10_000, 1_500_000, 123_456_789, 4_000, 99_990_000];

describeEachDialect('CDR export', (database, dialect) => {
  let accountId: string;
  let shreddedId: string;
  let lookalike: string;

  beforeAll(async () => {
    const { db } = database();
    const account = await db.insertInto('accounts').values({ email: 'export@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    const shredded = await db.insertInto('accounts').values({ email: 'shredded@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    accountId = account.id;
    shreddedId = shredded.id;
    // A Call-ID may look like a sealed value of a real account: only the number columns are ever opened.
    lookalike = await vault.seal(db, accountId, 'not a number column');
    for (let i = 0; i < 24; i++) {
      const awkward = AWKWARD[i % AWKWARD.length]!;
      const owner = i % 4 === 0 ? null : i % 7 === 0 ? shreddedId : accountId;
      // A refused call records what was dialled, whatever it is: sealed like a number, opened with its awkward text.
      const numbers = ['+14155550100', i % 3 === 0 ? `dialled ${AWKWARD[(i / 3) % AWKWARD.length]!}` : '+442079460000'];
      const [from, to] = owner === null ? numbers : await vault.sealAll(db, owner, numbers, { deterministic: true });
      await sql`
        insert into cdrs (sip_call_id, direction, account_id, from_number, to_number, phase, refusal_reason, started_at,
                          answered_at, ended_at, billable_seconds, cost, node_id, mos, sip_status)
        values (${i === 5 ? lookalike : `call ${i} ${awkward}`}, 'outbound', ${owner}, ${from}, ${to},
                ${i % 2 === 0 ? 'ended' : 'refused'}, ${i % 2 === 0 ? null : awkward},
                timestamptz '2026-03-01 10:00:00.123456+00' + ${i} * interval '1 hour 0.000789 seconds',
                ${i % 3 === 0 ? null : sql`timestamptz '2026-03-01 10:00:03.5+00' + ${i} * interval '1 hour'`}, null,
                ${i % 2 === 0 ? i * 7 : null}, ${COSTS[i % COSTS.length]}, ${awkward}, ${i % 5 === 0 ? null : 3.2 + i / 10}, ${i % 2 === 0 ? null : 486})
      `.execute(db);
    }
    await vault.shred(db, shreddedId);
  });

  async function batched(filter = {}): Promise<ExportedCdr[]> {
    const rows: ExportedCdr[] = [];
    for await (const row of exportCdrs(database().db, vault, filter, 5)) rows.push(row);
    return rows;
  }

  it('stores the numbers of records with an account sealed, and writes them opened (null once the key is gone)', async () => {
    const raw = await database().db.selectFrom('cdrs').select(['account_id', 'from_number', 'to_number']).execute();
    for (const row of raw.filter((record) => record.account_id !== null)) {
      expect(row.from_number).not.toContain('4155550100');
      expect(row.to_number).not.toContain('dialled');
    }
    const rows = await batched();
    expect(new Set(rows.filter((row) => row.account_id === accountId).map((row) => row.from_number))).toEqual(new Set(['+14155550100']));
    expect(rows.map((row) => row.to_number)).toContain('dialled quote " inside');
    expect(rows.filter((row) => row.account_id === shreddedId).map((row) => [row.from_number, row.to_number])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(rows.find((row) => row.account_id === null)?.from_number).toBe('+14155550100');
    expect(rows.map((row) => row.sip_call_id)).toContain(lookalike);
  });

  it('formats times and amounts in the database exactly as the API does in JavaScript', async () => {
    const raw = await database().db.selectFrom('cdrs').select(['id', 'started_at', 'answered_at', 'cost']).orderBy('started_at').orderBy('id').execute();
    const rows = await batched();
    expect(rows.map((row) => [row.id, row.started_at, row.answered_at, row.cost])).toEqual(
      raw.map((row) => [
        row.id,
        row.started_at.toISOString(),
        row.answered_at?.toISOString() ?? null,
        row.cost === null ? null : formatDecimal(micros(row.cost)),
      ]),
    );
    expect(rows.map((row) => row.cost)).toContain('1.50');
    expect(rows.map((row) => row.cost)).toContain('123.456789');
  });

  it('filters by start time and account on both paths alike', async () => {
    const filter = { from: new Date('2026-03-01T12:00:00Z'), to: new Date('2026-03-01T20:00:00Z'), accountId };
    const rows = await batched(filter);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.account_id).toBe(accountId);
      expect(row.started_at! >= '2026-03-01T12:00' && row.started_at! < '2026-03-01T20:00').toBe(true);
    }
    if (dialect === 'postgres') {
      const copied = JSON.parse(`[${(await text(await copyCdrs(database().copyOut!, database().db, vault, filter, 'ndjson'))).trim().split('\n').join(',')}]`);
      expect(copied).toEqual(rows);
    }
  });

  it.runIf(dialect === 'postgres')('writes through COPY the same NDJSON text, and CSV with the same fields, as the batches', async () => {
    const rows = await batched();
    const ndjson = await text(await copyCdrs(database().copyOut!, database().db, vault, {}, 'ndjson'));
    expect(ndjson).toBe(rows.map((row) => `${JSON.stringify(row)}\n`).join(''));

    const csv = await text(await copyCdrs(database().copyOut!, database().db, vault, {}, 'csv'));
    const reference = stringify(rows, { header: true, columns: [...CDR_EXPORT_COLUMNS] });
    expect(csv.split('\n')[0]).toBe(CDR_EXPORT_COLUMNS.join(','));
    expect(parse(csv, { columns: true })).toEqual(parse(reference, { columns: true }));
  });

  it.runIf(dialect === 'postgres')('carries a filter value into COPY as a quoted literal, never as SQL', async () => {
    const { copyOut, db } = database();
    const stream = await copyCdrs(copyOut!, db, vault, { accountId: "x' or ''='" }, 'csv');
    await expect(text(stream)).rejects.toThrow(/invalid input syntax for type uuid/);
  });

  it.runIf(dialect === 'postgres')('gives its connection back when the reader stops early, and the next export runs', async () => {
    const { copyOut, db } = database();
    for (let i = 0; i < 12; i++) {
      const stream = await copyCdrs(copyOut!, db, vault, {}, 'csv');
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.destroy();
    }
    expect((await text(Readable.from(await copyCdrs(copyOut!, db, vault, {}, 'ndjson')))).trim().split('\n')).toHaveLength(24);
  });

  it.runIf(dialect === 'postgres')('opens the numbers of an export larger than one chunk, records spanning lines included', async () => {
    const { copyOut, db } = database();
    const big = await db.insertInto('accounts').values({ email: 'big-export@example.org', status: 'active' }).returning('id').executeTakeFirstOrThrow();
    const dialled = Array.from({ length: 1500 }, (_, i) => (i % 10 === 0 ? `+1415555${String(i).padStart(4, '0')}` : `line, "${i}"\nnext`));
    const sealed = await vault.sealAll(db, big.id, dialled, { deterministic: true });
    await db
      .insertInto('cdrs')
      .values(
        sealed.map((to, i) => ({ sip_call_id: `big ${i}\n"x"`, direction: 'outbound', account_id: big.id, to_number: to, phase: 'setup', node_id: `n,${i}` })),
      )
      .execute();
    const rows = await batched({ accountId: big.id });
    expect(rows.map((row) => row.to_number).sort()).toEqual([...dialled].sort());
    const ndjson = await text(await copyCdrs(copyOut!, db, vault, { accountId: big.id }, 'ndjson'));
    expect(ndjson.length).toBeGreaterThan(2 * 64 * 1024);
    expect(ndjson).toBe(rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    const csv = await text(await copyCdrs(copyOut!, db, vault, { accountId: big.id }, 'csv'));
    expect(parse(csv, { columns: true })).toEqual(parse(stringify(rows, { header: true, columns: [...CDR_EXPORT_COLUMNS] }), { columns: true }));
  });
});

import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrateDown, migrateToLatest } from '../../db/migrate.ts';
import { migrations } from '../../db/migrations/index.ts';
import { describeEachDialect } from '../harness/databases.ts';

describeEachDialect('database', (database) => {
  it('has applied every migration, and applying again does nothing', async () => {
    const { db } = database();
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('rolls the last migration back and forward again', async () => {
    const { db } = database();
    const last = Object.keys(migrations).at(-1);
    expect(await migrateDown(db)).toEqual([last]);
    expect(await migrateToLatest(db)).toEqual([last]);
  });

  it("keeps addresses unique by their lookup hash (core/accounts/email-address.ts: the lower-cased address's)", async () => {
    const { db } = database();
    await db.insertInto('accounts').values({ email: 'sealed Bob', email_hash: 'h1.bob' }).execute();
    const duplicate = db.insertInto('accounts').values({ email: 'sealed bob', email_hash: 'h1.bob' }).execute();
    await expect(duplicate).rejects.toMatchObject({ code: '23505' });
    const rows = await db.selectFrom('accounts').select('email').where('email_hash', '=', 'h1.bob').execute();
    expect(rows).toEqual([{ email: 'sealed Bob' }]);
  });

  it('allows any number of erased accounts (null e-mail)', async () => {
    const { db } = database();
    await db
      .insertInto('accounts')
      .values([{ email: null }, { email: null }])
      .execute();
    const erased = await db.selectFrom('accounts').select(db.fn.countAll<number>().as('n')).where('email', 'is', null).executeTakeFirstOrThrow();
    expect(Number(erased.n)).toBe(2);
  });

  it('rejects a status outside the allowed set', async () => {
    const { db } = database();
    const bad = db
      .insertInto('accounts')
      .values({ email: 'odd@example.org', status: 'zombie' as never })
      .execute();
    await expect(bad).rejects.toMatchObject({ code: '23514' });
  });

  it('leaves nothing behind from a rolled-back transaction', async () => {
    const { db } = database();
    const attempt = db.transaction().execute(async (trx) => {
      const account = await trx.insertInto('accounts').values({ email: 'ghost@example.org' }).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('audit_events').values({ action: 'account.created', subject_account_id: account.id }).execute();
      throw new Error('changed my mind');
    });
    await expect(attempt).rejects.toThrow('changed my mind');
    expect(await db.selectFrom('accounts').selectAll().where('email', '=', 'ghost@example.org').execute()).toEqual([]);
    expect(await db.selectFrom('audit_events').selectAll().where('action', '=', 'account.created').execute()).toEqual([]);
  });

  it('returns int8 ids as numbers and timestamps as Dates', async () => {
    const { db } = database();
    const event = await db
      .insertInto('audit_events')
      .values({ action: 'test.typed', detail: { count: 3 } })
      .returning(['id', 'occurred_at', 'detail'])
      .executeTakeFirstOrThrow();
    expect(typeof event.id).toBe('number');
    expect(event.occurred_at).toBeInstanceOf(Date);
    expect(event.detail).toEqual({ count: 3 });
  });
});

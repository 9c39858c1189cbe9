/**
 * The export covers every table that references an account: the registry must list each one (found
 * through information_schema), and a row seeded in each must show up in the export.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { exportAccountData } from '../../../core/privacy/export.ts';
import { accountDataSources } from '../../../core/privacy/registry.ts';
import type { Database } from '../../../db/schema.ts';
import { TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';
import { tablesReferencingAccounts } from '../../harness/privacy.ts';
import { browserSubscription } from '../../harness/push-service.ts';
import { saveSubscription } from '../../../core/push/subscriptions.ts';

/** Seeds one row about `accountId` in a table; returns a value that must appear in that table's export. */
type Seeder = (db: Kysely<Database>, accountId: string) => Promise<string>;

// A new table with a foreign key to accounts needs a line here too: how to seed one row of it.
const SEEDERS: Record<string, Seeder> = {
  accounts: async (db, id) => (await db.selectFrom('accounts').select('email').where('id', '=', id).executeTakeFirstOrThrow()).email ?? '',
  sessions: async (db, id) =>
    (
      await db
        .insertInto('sessions')
        .values({ account_id: id, token_hash: randomUUID(), expires_at: new Date(Date.now() + 60_000) })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id,
  email_tokens: async (db, id) => {
    const marker = `new-${randomUUID().slice(0, 8)}@example.org`;
    await db
      .insertInto('email_tokens')
      .values({ account_id: id, purpose: 'verify_email', token_hash: randomUUID(), new_email: marker, expires_at: new Date(Date.now() + 60_000) })
      .execute();
    return marker;
  },
  email_outbox: async (db, id) => {
    const marker = `subject ${randomUUID()}`;
    await db.insertInto('email_outbox').values({ account_id: id, kind: 'test', to_address: 'x@example.org', subject: marker, body_text: 'b' }).execute();
    return marker;
  },
  audit_events: async (db, id) => {
    const marker = `test.${randomUUID().slice(0, 8)}`;
    await db.insertInto('audit_events').values({ action: marker, subject_account_id: id }).execute();
    return marker;
  },
  policy_versions: async (db, id) => {
    const marker = `v-${randomUUID().slice(0, 8)}`;
    await db.insertInto('policy_versions').values({ version: marker, body_text: 't', material: false, published_by: id }).execute();
    return marker;
  },
  policy_acknowledgements: async (db, id) => {
    const marker = `ack-${randomUUID().slice(0, 8)}`;
    const version = await db
      .insertInto('policy_versions')
      .values({ version: marker, body_text: 't', material: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('policy_acknowledgements').values({ account_id: id, policy_version_id: version.id }).execute();
    return marker;
  },
  ledger_entries: async (db, id) => {
    const marker = `ref-${randomUUID().slice(0, 8)}`;
    await db.insertInto('ledger_entries').values({ account_id: id, kind: 'top_up', amount: 1_000_000, reference: marker }).execute();
    return marker;
  },
  // Kept by a trigger from ledger_entries: seeded by the ledger seeder above, its marker is the entry count.
  account_balances: async () => '"entries":',
  reservations: async (db, id) =>
    (
      await db
        .insertInto('reservations')
        .values({
          account_id: id,
          price_per_minute: 1,
          first_increment: 1,
          next_increment: 1,
          connection_fee: 0,
          max_seconds: 1,
          hold: 1,
          expires_at: new Date(Date.now() + 60_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id,
  top_ups: async (db, id) => {
    const marker = `pi_${randomUUID().slice(0, 8)}`;
    await db
      .insertInto('top_ups')
      .values({ account_id: id, request_key: randomUUID(), amount_minor: 500, currency: 'usd', payment_intent_id: marker })
      .execute();
    return marker;
  },
  account_holds: async (db, id) => {
    const marker = `dp_${randomUUID().slice(0, 8)}`;
    await db.insertInto('account_holds').values({ account_id: id, kind: 'dispute', reference: marker }).execute();
    return marker;
  },
  sip_credentials: async (db, id) => {
    const marker = `phone-${randomUUID().slice(0, 8)}`;
    await db.insertInto('sip_credentials').values({ account_id: id, username: marker, realm: 'r', ha1_md5: 'x', ha1_sha256: 'y' }).execute();
    return marker;
  },
  registrations: async (db, id) => {
    const marker = `sip:${randomUUID().slice(0, 8)}@192.0.2.1`;
    await db
      .insertInto('registrations')
      .values({
        account_id: id,
        username: 'u',
        contact: marker,
        expires_at: new Date(Date.now() + 60_000),
        transport: 'udp',
        source_address: '192.0.2.1',
        source_port: 5060,
        drachtio_server: 'd',
        call_id: 'c',
        cseq: 1,
      })
      .execute();
    return marker;
  },
  dids: async (db, id) => {
    const marker = `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    await db.insertInto('dids').values({ e164: marker, account_id: id }).execute();
    return marker;
  },
  cdrs: async (db, id) => {
    const marker = '+442079460958';
    await db
      .insertInto('cdrs')
      .values({ sip_call_id: randomUUID(), direction: 'outbound', account_id: id, to_number: marker, phase: 'ended', node_id: 'n' })
      .execute();
    return marker;
  },
  account_call_limits: async (db, id) => {
    const marker = `reason ${randomUUID().slice(0, 8)}`;
    await db.insertInto('account_call_limits').values({ account_id: id, calls_per_minute: 5, suspended_at: new Date(), suspension_reason: marker }).execute();
    return marker;
  },
  push_subscriptions: async (db, id) => {
    const marker = `https://push.example.org/wpush/${randomUUID()}`;
    const { p256dh, auth } = browserSubscription(marker);
    await saveSubscription(db, TEST_VAULT, id, { endpoint: marker, p256dh, auth, label: 'seeded' }, { allowedHosts: ['push.example.org'] });
    return marker;
  },
  legal_holds: async (db, id) => {
    const marker = `case ${randomUUID().slice(0, 8)}`;
    await db.insertInto('legal_holds').values({ account_id: id, reason: marker }).execute();
    return marker;
  },
};

describeEachDialect('privacy registry completeness', (database) => {
  it('covers every table with a foreign key to accounts', async () => {
    const referencing = await tablesReferencingAccounts(database().db);
    expect(referencing).toEqual(expect.arrayContaining(['accounts', 'sessions', 'audit_events', 'legal_holds']));
    const registered = new Set(accountDataSources.map((source) => source.table));
    const missing = referencing.filter((table) => !registered.has(table));
    expect(missing, `add these tables to core/privacy/registry.ts`).toEqual([]);
    expect(accountDataSources.at(-1)?.table).toBe('accounts');
  });

  it('exports a row seeded in every such table (operator export: all; subject: all but withheld)', async () => {
    const { db } = database();
    const account = await db
      .insertInto('accounts')
      .values({ email: `seeded-${randomUUID().slice(0, 8)}@example.org`, status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const operator = await db
      .insertInto('accounts')
      .values({ email: `op-${randomUUID().slice(0, 8)}@example.org`, role: 'operator' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const referencing = await tablesReferencingAccounts(db);
    const withoutSeeder = referencing.filter((table) => SEEDERS[table] === undefined);
    expect(withoutSeeder, 'add a seeder for these tables in this test').toEqual([]);
    const markers: Record<string, string> = {};
    for (const table of referencing) markers[table] = await SEEDERS[table]!(db, account.id);

    const full = await exportAccountData(db, TEST_VAULT, account.id, { kind: 'operator', operatorId: operator.id, reason: 'completeness test' });
    const subject = await exportAccountData(db, TEST_VAULT, account.id, { kind: 'subject' });
    for (const table of referencing) {
      expect(JSON.stringify(full.data[table] ?? null), `${table} in the operator export`).toContain(markers[table]);
      if (subject.withheld[table] === undefined)
        expect(JSON.stringify(subject.data[table] ?? null), `${table} in the subject export`).toContain(markers[table]);
      else expect(subject.data[table]).toBeUndefined();
    }
  });
});

/**
 * Crypto-shredding end to end, as an operator's backups run (docs/architecture.md): the data is dumped with
 * `pg_dump --exclude-schema=key_store` while the account is alive, the account is deleted, and that dump is restored
 * into a fresh database beside the key store as it is after the deletion. Every column of every table then shows
 * nothing of the person, with every sealed value opened. A control restores the same dump beside the key store as
 * it was before the deletion, where everything must still read: the scan can find what it looks for.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { createVault } from '../../../core/privacy/vault.ts';
import { TEST_MASTER_KEY, TEST_PASSWORD, TEST_VAULT, latestMail, signIn, testApi, type SignedIn } from '../../harness/api.ts';
import { freshDatabase, pgDump, preferredDialect, psqlRestore, type TestDatabase } from '../../harness/databases.ts';
import { readableEverywhere } from '../../harness/privacy.ts';

const tag = randomUUID().slice(0, 8);
const person = {
  email: `Zelda.Quibblefrost-${tag}@example.org`,
  localPart: `Zelda.Quibblefrost-${tag}`,
  newEmail: `zq-moving-${tag}@example.net`,
  name: `Zelda Quibblefrost ${tag}`,
  own: '+447700900461',
  called: '+14155550193',
  caller: '+33142685371',
};
const numbers = [person.own, person.called, person.caller];
const needles = [person.email, person.localPart, person.newEmail, person.name, ...numbers, ...numbers.map((number) => number.slice(1))];

// pg_dump and psql need a real server: skipped with the other Postgres suites where none answers (never in CI).
describe.skipIf(preferredDialect() !== 'postgres')('a backup of the data restored after an erasure', { timeout: 120_000 }, () => {
  const databases: TestDatabase[] = [];
  let live: TestDatabase;
  let app: FastifyInstance;
  let folder: string;
  let user: SignedIn;

  /** A database restored from `dataDump`, beside the key store restored from `keysDump`. */
  async function restored(dataDump: string, keysDump: string): Promise<TestDatabase> {
    const database = await freshDatabase('postgres', { migrate: false });
    databases.push(database);
    await psqlRestore(database, dataDump);
    await psqlRestore(database, keysDump);
    return database;
  }

  /**
   * What of the person reads in `database`, per needle. A vault of its own: the shared one caches keys by account
   * id, and this account is in several databases here, with its key in some and not in others.
   */
  const readable = (database: TestDatabase) => readableEverywhere(database.db, createVault(TEST_MASTER_KEY), needles);

  let control: TestDatabase;
  let afterErasure: TestDatabase;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dialo-backup-'));
    live = await freshDatabase('postgres');
    databases.push(live);
    app = await testApi(live);
    const { db } = live;

    // The person, through the real routes: account, name, a pending change of address (its mail waits in the outbox).
    user = await signIn(app, db, { email: person.email });
    const profile = (payload: object) => app.inject({ method: 'PATCH', url: '/account/profile', headers: user.headers, payload });
    expect((await profile({ displayName: person.name })).statusCode).toBe(200);
    expect((await profile({ email: person.newEmail })).json()).toEqual({ emailPending: true });
    await latestMail(db, person.newEmail);

    // Calls to and from distinctive numbers, recorded as signaling records them: one refused, one answered and ended.
    const call = (direction: 'outbound' | 'inbound', fromNumber: string, toNumber: string) =>
      openCdr(db, TEST_VAULT, { sipCallId: `${direction}-${tag}`, direction, accountId: user.accountId, fromNumber, toNumber, nodeId: 'test' });
    await recordCdrState(db, await call('outbound', person.own, person.called), { phase: 'refused', refusal: { reason: 'no-credit' } });
    const answeredAt = new Date(Date.now() - 60_000);
    const ended = { phase: 'ended', target: person.own, answeredAt, endedAt: new Date(), by: 'caller', cause: 'normal' } as const;
    await recordCdrState(db, await call('inbound', person.caller, person.own), ended);

    // An operator's words about the person: an adjustment, a legal hold placed then lifted, a suspension.
    const operator = await signIn(app, db, { role: 'operator' });
    const admin = (url: string, payload?: object) =>
      app.inject({ method: 'POST', url: `/admin/accounts/${user.accountId}${url}`, headers: operator.headers, ...(payload ? { payload } : {}) });
    const naming = `${person.name} <${person.email}>, mobile ${person.own}`;
    expect((await admin('/adjustments', { amount: '5', reason: `goodwill for ${naming}` })).statusCode).toBe(201);
    const hold = await admin('/legal-holds', { reason: `court order about ${naming}` });
    expect(hold.statusCode).toBe(201);
    expect((await admin(`/legal-holds/${hold.json<{ id: string }>().id}/lift`)).statusCode).toBe(204);
    expect((await admin('/outbound-suspension', { reason: `suspended: ${naming}` })).statusCode).toBe(201);

    // The nightly backups, taken while the account is alive: data and keys apart.
    const dataDump = await pgDump(live, join(folder, 'data.sql'), ['--exclude-schema=key_store']);
    const keysBefore = await pgDump(live, join(folder, 'keys-before.sql'), ['--schema=key_store']);
    control = await restored(dataDump, keysBefore);

    const deletion = await app.inject({ method: 'POST', url: '/privacy/deletion', headers: user.headers, payload: { password: TEST_PASSWORD } });
    expect(deletion.json()).toEqual({ status: 'erased' });

    const keysNow = await pgDump(live, join(folder, 'keys-now.sql'), ['--schema=key_store']);
    afterErasure = await restored(dataDump, keysNow);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    for (const database of databases) await database.close();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('control: restored beside the key store as it was, the live account reads in full', async () => {
    const found = await readable(control);
    expect(Object.keys(found).sort()).toEqual([...needles].sort());
    expect(found[person.email]).toContain('public.accounts.email');
  });

  it('restored beside the key store as it is after the erasure, nothing of the person reads in any column', async () => {
    expect(await readable(afterErasure)).toEqual({});
  });

  it('the live database after the erasure shows nothing of the person either', async () => {
    expect(await readable(live)).toEqual({});
  });
});

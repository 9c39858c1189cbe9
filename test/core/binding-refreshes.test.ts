// Batched renewals of a REGISTER's one contact, against the real location store on every dialect.
import type { KyselyPlugin } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { BindingRefreshes } from '../../core/binding-refreshes.ts';
import { applyRegister, type RegisterUpdate } from '../../core/registrations.ts';
import { describeEachDialect } from '../harness/databases.ts';

const NOW = new Date('2026-12-03T10:00:00Z');

describeEachDialect('binding refreshes', (database) => {
  let accountId: string;
  let callSeq = 0;

  beforeAll(async () => {
    const account = await database()
      .db.insertInto('accounts')
      .values({ email: 'refresh@example.org', status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    accountId = account.id;
  });

  function update(username: string, overrides: Partial<RegisterUpdate> = {}): RegisterUpdate {
    return {
      accountId,
      username,
      callId: `call-${++callSeq}`,
      cseq: 1,
      transport: 'udp',
      sourceAddress: '192.0.2.20',
      sourcePort: 5060,
      drachtioServer: '127.0.0.1:5060',
      userAgent: 'phone/1',
      bindings: [{ contact: `sip:${username}@192.0.2.20`, expiresSeconds: 600 }],
      limits: { maxBindings: 10 },
      ...overrides,
    };
  }

  async function registered(username: string, overrides: Partial<RegisterUpdate> = {}): Promise<RegisterUpdate> {
    const first = update(username, overrides);
    expect((await applyRegister(database().db, first, NOW)).kind).toBe('updated');
    return first;
  }

  /** The database with every statement counted. */
  function counting() {
    let statements = 0;
    const plugin: KyselyPlugin = {
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    return { db: database().db.withPlugin(plugin), statements: () => statements };
  }

  it("renews a contact's row and lists every live binding of the address-of-record, soonest expiry last", async () => {
    await registered('desk', { bindings: [{ contact: 'sip:desk@192.0.2.20;line=2', expiresSeconds: 300 }] });
    const first = await registered('desk');
    const refreshes = new BindingRefreshes(database().db, { concurrency: 2, maxBatch: 10 });
    const later = new Date(NOW.getTime() + 60_000);
    const renewal = {
      ...first,
      callId: 'a-new-call',
      cseq: 1,
      sourcePort: 5070,
      userAgent: 'phone/2',
      bindings: [{ contact: 'sip:desk@192.0.2.20', expiresSeconds: 900 }],
    };
    const bindings = await refreshes.refresh(renewal, later);
    expect(bindings?.map((b) => [b.contact, b.expires_at.toISOString()])).toEqual([
      ['sip:desk@192.0.2.20', new Date(later.getTime() + 900_000).toISOString()],
      ['sip:desk@192.0.2.20;line=2', new Date(NOW.getTime() + 300_000).toISOString()],
    ]);
    const row = await database().db.selectFrom('registrations').selectAll().where('contact', '=', 'sip:desk@192.0.2.20').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ call_id: 'a-new-call', cseq: 1, source_port: 5070, user_agent: 'phone/2', updated_at: later });
  });

  it('leaves to the full transaction what is not a plain renewal, changing nothing', async () => {
    const first = await registered('left', { bindings: [{ contact: 'sip:left@192.0.2.20', expiresSeconds: 600, instance: '<urn:uuid:1>' }] });
    const refreshes = new BindingRefreshes(database().db, { concurrency: 2, maxBatch: 10 });
    const contact = 'sip:left@192.0.2.20';
    const cases: [string, Partial<RegisterUpdate>][] = [
      ['a new contact', { bindings: [{ contact: 'sip:left@198.51.100.1', expiresSeconds: 600, instance: '<urn:uuid:1>' }] }],
      ['a removal', { bindings: [{ contact, expiresSeconds: 0, instance: '<urn:uuid:1>' }] }],
      [
        'two contacts',
        {
          bindings: [
            { contact, expiresSeconds: 600, instance: '<urn:uuid:1>' },
            { contact: 'sip:left@198.51.100.2', expiresSeconds: 600 },
          ],
        },
      ],
      ['Contact: *', { bindings: 'remove-all' }],
      ['another instance on the contact', { bindings: [{ contact, expiresSeconds: 600, instance: '<urn:uuid:2>' }] }],
      ['no instance where it had one', { bindings: [{ contact, expiresSeconds: 600 }] }],
      // RFC 3261 §10.3 step 7: the same Call-ID needs a higher CSeq.
      ['the same Call-ID and CSeq', { callId: first.callId, cseq: first.cseq }],
      ['the same Call-ID and a lower CSeq', { callId: first.callId, cseq: first.cseq - 1 }],
    ];
    const before = await database().db.selectFrom('registrations').selectAll().where('username', '=', 'left').execute();
    for (const [what, overrides] of cases) {
      expect(await refreshes.refresh({ ...first, ...overrides }, new Date(NOW.getTime() + 1000)), what).toBeUndefined();
    }
    expect(await database().db.selectFrom('registrations').selectAll().where('username', '=', 'left').execute()).toEqual(before);
    expect(await applyRegister(database().db, { ...first, cseq: first.cseq - 1 }, NOW)).toEqual({ kind: 'out-of-order' });
    expect(await refreshes.refresh({ ...first, cseq: first.cseq + 1 }, NOW)).toHaveLength(1);
  });

  it('writes the refreshes that arrive while one is being written together, in one statement', async () => {
    const firsts = [];
    for (let i = 0; i < 20; i++) firsts.push(await registered(`batch${i}`));
    const { db, statements } = counting();
    const refreshes = new BindingRefreshes(db, { concurrency: 1, maxBatch: 500 });
    const later = new Date(NOW.getTime() + 5000);
    const results = await Promise.all(firsts.map((first) => refreshes.refresh({ ...first, cseq: 2 }, later)));
    expect(results.map((bindings) => bindings?.map((b) => b.expires_at.getTime()))).toEqual(firsts.map(() => [later.getTime() + 600_000]));
    // The first alone, at once; the other 19 after it, together.
    expect(statements()).toBe(2);
    const renewed = await database().db.selectFrom('registrations').select('cseq').where('username', 'like', 'batch%').execute();
    expect(renewed.map((row) => row.cseq)).toEqual(firsts.map(() => 2));
  });

  it('renews a row once when a batch holds it twice, leaving the other to the full transaction', async () => {
    const first = await registered('twice');
    const { db } = counting();
    const refreshes = new BindingRefreshes(db, { concurrency: 1, maxBatch: 500 });
    const blocker = refreshes.refresh({ ...(await registered('blocker')), cseq: 2 }, NOW);
    const pair = [refreshes.refresh({ ...first, cseq: 2 }, NOW), refreshes.refresh({ ...first, callId: 'other-call', cseq: 1 }, NOW)];
    await blocker;
    const outcomes = await Promise.all(pair);
    expect(outcomes.filter((bindings) => bindings === undefined)).toHaveLength(1);
    expect(outcomes.filter((bindings) => bindings?.length === 1)).toHaveLength(1);
  });

  it('fails every refresh of a batch the database refuses, and writes the next batch', async () => {
    const first = await registered('fails');
    const refreshes = new BindingRefreshes(database().db, { concurrency: 1, maxBatch: 500 });
    await expect(refreshes.refresh({ ...first, accountId: 'not-a-uuid', cseq: 2 }, NOW)).rejects.toThrow();
    expect(await refreshes.refresh({ ...first, cseq: 2 }, NOW)).toHaveLength(1);
  });
});

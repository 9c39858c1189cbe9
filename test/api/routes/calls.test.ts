// Operators set up carriers and numbers; users read their own calls and numbers. Through the HTTP API, on both dialects.
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { exportCdrs } from '../../../core/calls/cdr-export.ts';
import { TrunkHealthBoard } from '../../../core/calls/trunk-health.ts';
import { takeTrunkLease } from '../../../core/calls/trunk-lease.ts';
import { afterRegister, initialRegistration } from '../../../core/calls/trunk-registration.ts';
import { registrationRecord, writeRegistrationState, writeTrunkHealth } from '../../../core/calls/trunk-state.ts';
import { enabledTrunks, outboundTrunks, trunkForSource } from '../../../core/calls/trunks.ts';
import { signIn, testApi, type SignedIn, TEST_VAULT } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

describeEachDialect('calls API', (database) => {
  let app: FastifyInstance;
  let user: SignedIn;
  let other: SignedIn;
  let operator: SignedIn;
  beforeAll(async () => {
    app = await testApi(database(), { echoTestNumber: '*43' });
    user = await signIn(app, database().db);
    other = await signIn(app, database().db);
    operator = await signIn(app, database().db, { role: 'operator' });
  });
  afterAll(() => app?.close());

  const as = (who: SignedIn, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: who.headers, ...(payload === undefined ? {} : { payload }) });

  it('keeps trunk admin to operators', async () => {
    for (const [method, url] of [
      ['GET', '/admin/trunks'],
      ['POST', '/admin/trunks'],
      ['GET', '/admin/dids'],
      ['DELETE', '/admin/dids/+14155550100'],
    ] as const) {
      const response = await as(user, method, url, method === 'POST' ? { name: 'x', outboundUri: 'sip:a.example' } : undefined);
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('creates a trunk whose password is never shown, and signaling routes by it', async () => {
    const created = await as(operator, 'POST', '/admin/trunks', {
      name: 'carrier-one',
      priority: 5,
      outboundUri: 'sip:sbc.carrier.example:5060;transport=udp',
      auth: { username: 'acct-77', password: 'carrier-secret' },
      inboundSources: ['203.0.113.0/28', '2001:db8::/48'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const trunk = created.json<Record<string, unknown>>();
    expect(trunk).toMatchObject({ name: 'carrier-one', priority: 5, authUsername: 'acct-77', hasPassword: true, enabled: true });
    expect(created.body).not.toContain('carrier-secret');
    expect((await as(operator, 'GET', '/admin/trunks')).body).not.toContain('carrier-secret');

    // What the call flows read: the stored credentials, and the inbound allow-list.
    const enabled = await enabledTrunks(database().db);
    const outbound = outboundTrunks(enabled).find((row) => row.name === 'carrier-one');
    expect(outbound).toMatchObject({ auth_username: 'acct-77', auth_password: 'carrier-secret' });
    expect(trunkForSource(enabled, '203.0.113.9')?.name).toBe('carrier-one');
    expect(trunkForSource(enabled, '203.0.113.99')).toBeUndefined();

    // Changing other settings keeps the credentials; null removes them.
    const kept = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, {
      name: 'carrier-one',
      priority: 9,
      outboundUri: 'sip:sbc2.carrier.example',
      inboundSources: [],
    });
    expect(kept.json()).toMatchObject({ priority: 9, authUsername: 'acct-77', hasPassword: true, inboundSources: [] });
    const cleared = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-one', outboundUri: 'sip:sbc2.carrier.example', auth: null });
    expect(cleared.json()).toMatchObject({ authUsername: null, hasPassword: false });

    const audit = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('actor_account_id', '=', operator.accountId)
      .where('action', 'like', 'calls.trunk%')
      .execute();
    expect(audit.map((row) => row.action)).toEqual(['calls.trunk_created', 'calls.trunk_updated', 'calls.trunk_updated']);
    expect(JSON.stringify(audit)).not.toContain('carrier-secret');

    expect((await as(operator, 'DELETE', `/admin/trunks/${trunk.id}`)).statusCode).toBe(204);
    expect((await as(operator, 'DELETE', `/admin/trunks/${trunk.id}`)).statusCode).toBe(404);
  });

  it("stores a trunk's dialling rules, shows them, and a PUT without them puts the defaults back", async () => {
    const rules = { numberFormat: 'national', techPrefix: '0199', callerIdHeader: 'pai', callerIdWithheld: true, codecOrder: ['PCMA', 'opus'] };
    const created = await as(operator, 'POST', '/admin/trunks', { name: 'carrier-rules', outboundUri: 'sip:sbc.carrier.example', ...rules });
    expect(created.statusCode, created.body).toBe(201);
    const trunk = created.json<{ id: number }>();
    expect(trunk).toMatchObject(rules);
    expect((await as(operator, 'GET', '/admin/trunks')).json<{ trunks: object[] }>().trunks).toContainEqual(
      expect.objectContaining({ name: 'carrier-rules', ...rules }),
    );
    const stored = await database().db.selectFrom('trunks').selectAll().where('id', '=', trunk.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      number_format: 'national',
      tech_prefix: '0199',
      caller_id_header: 'pai',
      caller_id_withheld: true,
      codec_order: ['PCMA', 'opus'],
    });

    const reset = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-rules', outboundUri: 'sip:sbc.carrier.example' });
    expect(reset.json()).toMatchObject({ numberFormat: 'e164', techPrefix: null, callerIdHeader: 'from', callerIdWithheld: false, codecOrder: null });
    expect((await as(operator, 'DELETE', `/admin/trunks/${trunk.id}`)).statusCode).toBe(204);
  });

  it("stores a TLS trunk's pin as a fingerprint and its SRTP; a plain-SIP trunk may have neither (400)", async () => {
    const created = await as(operator, 'POST', '/admin/trunks', {
      name: 'carrier-tls',
      outboundUri: 'sip:sbc.carrier.example;transport=tls',
      tlsPinSha256: 'ab'.repeat(32),
      mediaEncryption: 'sdes',
    });
    expect(created.statusCode, created.body).toBe(201);
    const trunk = created.json<{ id: number }>();
    expect(trunk).toMatchObject({ tlsCaPem: null, tlsPinSha256: 'AB:'.repeat(31) + 'AB', mediaEncryption: 'sdes' });
    const plain = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, {
      name: 'carrier-tls',
      outboundUri: 'sip:sbc.carrier.example',
      mediaEncryption: 'sdes',
    });
    expect(plain.statusCode).toBe(400);
    expect(plain.json()).toMatchObject({ detail: expect.stringMatching(/sdes needs a TLS outbound URI/) as unknown as string });
    const badCa = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-tls', outboundUri: 'sips:sbc.carrier.example', tlsCaPem: 'junk' });
    expect(badCa.json()).toMatchObject({ status: 400, detail: 'the TLS CA is not a PEM certificate' });
    expect((await as(operator, 'DELETE', `/admin/trunks/${trunk.id}`)).statusCode).toBe(204);
  });

  it("stores a trunk's registration with a write-only password, kept on a PUT that leaves it out", async () => {
    const registration = { uri: 'sip:reg.carrier.example', username: 'acct-reg', expires: 600, didSource: 'request-uri' };
    const created = await as(operator, 'POST', '/admin/trunks', { name: 'carrier-reg', registration: { ...registration, password: 'reg-secret' } });
    expect(created.statusCode, created.body).toBe(201);
    const trunk = created.json<{ id: number }>();
    expect(trunk).toMatchObject({ registration: { ...registration, hasPassword: true } });
    expect(created.body).not.toContain('reg-secret');
    expect((await as(operator, 'GET', '/admin/trunks')).body).not.toContain('reg-secret');
    // No node holds the lease yet: the state is not known.
    expect((await as(operator, 'GET', '/admin/trunks')).json<{ trunks: object[] }>().trunks).toContainEqual(
      expect.objectContaining({ name: 'carrier-reg', registrationState: expect.objectContaining({ heldBy: null, state: null, stale: false }) }),
    );
    const kept = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-reg', registration: { ...registration, expires: 300 } });
    expect(kept.json()).toMatchObject({ registration: { expires: 300, hasPassword: true } });
    const stored = await database().db.selectFrom('trunks').selectAll().where('id', '=', trunk.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      register_uri: 'sip:reg.carrier.example',
      register_password: 'reg-secret',
      register_expires: 300,
      register_did_source: 'request-uri',
    });
    const bad = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-reg', registration: { ...registration, uri: 'http://x' } });
    expect(bad.statusCode).toBe(400);
    const short = await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-reg', registration: { ...registration, expires: 10 } });
    expect(short.statusCode).toBe(400);
    // Without a registration (and nothing else) a trunk has nothing to do.
    expect((await as(operator, 'PUT', `/admin/trunks/${trunk.id}`, { name: 'carrier-reg', registration: null })).statusCode).toBe(400);
    expect((await as(operator, 'DELETE', `/admin/trunks/${trunk.id}`)).statusCode).toBe(204);
  });

  it('the database itself refuses dialling rules core would refuse (a row written past the API)', async () => {
    const row = (name: string, rules: object) =>
      database()
        .db.insertInto('trunks')
        .values({ name, outbound_uri: 'sip:c.example', ...rules })
        .execute();
    await expect(row('raw-1', { tech_prefix: '12a' })).rejects.toThrow(/check/);
    await expect(row('raw-2', { number_format: 'tel' as 'e164' })).rejects.toThrow(/check/);
    await expect(row('raw-3', { caller_id_withheld: true })).rejects.toThrow(/trunks_withheld_needs_pai/);
    expect(await database().db.selectFrom('trunks').select('id').where('name', 'like', 'raw-%').execute()).toEqual([]);
  });

  it.each([
    ['a tech prefix with letters', { name: 'bad-r1', outboundUri: 'sip:c.example', techPrefix: '12a' }, 'tech prefix'],
    ['a withheld caller ID without PAI', { name: 'bad-r2', outboundUri: 'sip:c.example', callerIdWithheld: true }, 'P-Asserted-Identity'],
    ['a codec listed twice', { name: 'bad-r3', outboundUri: 'sip:c.example', codecOrder: ['PCMU', 'pcmu'] }, 'listed twice'],
    ['a codec name with a space', { name: 'bad-r4', outboundUri: 'sip:c.example', codecOrder: ['PC MU'] }, 'not a codec name'],
    ['an unknown number format', { name: 'bad-r5', outboundUri: 'sip:c.example', numberFormat: 'tel' }, 'numberFormat'],
  ])('refuses dialling rules with %s (400 problem, nothing written)', async (_case, body, detail) => {
    const response = await as(operator, 'POST', '/admin/trunks', body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body).toContain(detail);
    expect(await database().db.selectFrom('trunks').select('id').where('name', '=', body.name).execute()).toEqual([]);
  });

  it.each([
    ['a URI with a user part', { name: 'bad-1', outboundUri: 'sip:+1415@carrier.example' }, 'outbound URI'],
    ['a bad CIDR', { name: 'bad-2', inboundSources: ['203.0.113.0/33'] }, 'prefix length'],
    ['nowhere to send or take calls', { name: 'bad-3' }, 'needs an outbound URI'],
    ['a name with a slash', { name: 'a/b', outboundUri: 'sip:c.example' }, 'trunk name'],
  ])('refuses a trunk with %s (400 problem, nothing written)', async (_case, body, detail) => {
    const response = await as(operator, 'POST', '/admin/trunks', body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json<{ detail: string }>().detail).toContain(detail);
    expect(await database().db.selectFrom('trunks').select('id').where('name', '=', body.name).execute()).toEqual([]);
  });

  it('shows the health and registration state that signaling nodes wrote, in a process with no signaling role', async () => {
    const created = (
      await as(operator, 'POST', '/admin/trunks', {
        name: 'shared-state',
        outboundUri: 'sip:pinged.example',
        registration: { uri: 'sip:reg.pinged.example', username: 'acct' },
      })
    ).json<{ id: number }>();
    type Listed = { id: number; health: unknown; healthByNode: unknown[]; registrationState: unknown };
    const read = async () => (await as(operator, 'GET', '/admin/trunks')).json<{ trunks: Listed[] }>().trunks.find((trunk) => trunk.id === created.id)!;
    try {
      expect(await read()).toMatchObject({ health: null, healthByNode: [], registrationState: { heldBy: null, state: null, stale: false } });

      // Node sig-a holds the lease and its REGISTER was refused with 403; sig-a sees the carrier up, sig-b down.
      const { db } = database();
      const now = new Date();
      expect(await takeTrunkLease(db, created.id, 'sig-a', now, 60_000)).toBe(true);
      const failed = afterRegister(initialRegistration(now), { status: 403 }, { retryMinMs: 1000, retryMaxMs: 60_000 }, now);
      await writeRegistrationState(db, created.id, 'sig-a', registrationRecord(failed, 'refused'), now);
      const board = new TrunkHealthBoard({ intervalMs: 30_000, failuresBeforeDown: 1 });
      await writeTrunkHealth(db, created.id, 'sig-a', board.record(created.id, { result: 'answered', status: 200 }, now).after, now, 30_000);
      const down = board.record(created.id, { result: 'timeout' }, now).after;
      await writeTrunkHealth(db, created.id, 'sig-b', down, now, 30_000);

      const listed = await read();
      expect(listed.registrationState).toEqual({
        heldBy: 'sig-a',
        state: 'failed',
        stale: false,
        since: now.toISOString(),
        lastStatus: 403,
        lastReason: 'refused',
        expiresAt: null,
        nextRetryAt: new Date(now.getTime() + 1000).toISOString(),
        updatedAt: now.toISOString(),
      });
      // The worst state any node reports, naming it; and each node's own.
      expect(listed.health).toMatchObject({ nodeId: 'sig-b', state: 'down', stale: false, consecutiveFailures: 1, lastResult: 'timeout' });
      expect(listed.healthByNode).toEqual([
        expect.objectContaining({ nodeId: 'sig-a', state: 'up', lastStatus: 200, stale: false }),
        expect.objectContaining({ nodeId: 'sig-b', state: 'down', stale: false }),
      ]);

      // sig-b stops writing (its row outlives fresh_until) and sig-a's lease runs out: nothing reads as known.
      await db.updateTable('trunk_health').set({ fresh_until: now }).where('node_id', '=', 'sig-b').execute();
      await db.updateTable('trunk_registration_leases').set({ expires_at: now }).where('trunk_id', '=', created.id).execute();
      const later = await read();
      expect(later.health).toMatchObject({ nodeId: 'sig-a', state: 'up' });
      expect(later.healthByNode).toContainEqual(expect.objectContaining({ nodeId: 'sig-b', state: 'unknown', stale: true }));
      expect(later.registrationState).toMatchObject({ heldBy: null, state: null, stale: true, lastStatus: null });
    } finally {
      await as(operator, 'DELETE', `/admin/trunks/${created.id}`);
    }
  });

  it('refuses a second trunk of the same name with 409', async () => {
    expect((await as(operator, 'POST', '/admin/trunks', { name: 'twin', outboundUri: 'sip:a.example' })).statusCode).toBe(201);
    const again = await as(operator, 'POST', '/admin/trunks', { name: 'twin', outboundUri: 'sip:b.example' });
    expect([again.statusCode, again.json<{ detail: string }>().detail]).toEqual([409, 'a trunk named twin already exists']);
  });

  it('lists numbers, assigns them to accounts, and users see only their own', async () => {
    expect((await as(operator, 'POST', '/admin/dids', { e164: '+14155550123', accountId: user.accountId })).statusCode).toBe(201);
    expect((await as(operator, 'POST', '/admin/dids', { e164: '+14155550124' })).json()).toEqual({ e164: '+14155550124', accountId: null });
    expect((await as(operator, 'POST', '/admin/dids', { e164: '+14155550123' })).statusCode).toBe(409);
    expect((await as(operator, 'POST', '/admin/dids', { e164: '4155550125' })).statusCode).toBe(400);
    expect((await as(operator, 'POST', '/admin/dids', { e164: '+14155550126', accountId: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);

    expect((await as(user, 'GET', '/numbers')).json()).toEqual({ numbers: ['+14155550123'] });
    expect((await as(other, 'GET', '/numbers')).json()).toEqual({ numbers: [] });

    const moved = await as(operator, 'PUT', `/admin/dids/${encodeURIComponent('+14155550123')}`, { accountId: other.accountId });
    expect(moved.json()).toEqual({ e164: '+14155550123', accountId: other.accountId });
    expect((await as(user, 'GET', '/numbers')).json()).toEqual({ numbers: [] });
    expect((await as(operator, 'GET', `/admin/dids?accountId=${other.accountId}`)).json()).toEqual({
      dids: [{ e164: '+14155550123', accountId: other.accountId }],
    });

    expect((await as(operator, 'DELETE', `/admin/dids/${encodeURIComponent('+14155550124')}`)).statusCode).toBe(204);
    expect((await as(operator, 'PUT', `/admin/dids/${encodeURIComponent('+14155550124')}`, { accountId: null })).statusCode).toBe(404);
  });

  it('quotes a call before it is placed: the rate in force, free on-net, 400 for a non-number, 403 where calls are not offered', async () => {
    await createRate(
      database().db,
      toRateInput({
        prefix: '4420',
        pricePerMinute: '0.0123',
        firstIncrement: 30,
        nextIncrement: 6,
        connectionFee: '0.05',
        effectiveFrom: '2000-01-01T00:00:00Z',
      }),
    );
    await database().db.insertInto('dids').values({ e164: '+442079460999', account_id: other.accountId }).execute();
    expect((await as(user, 'GET', '/calls/quote?number=%2B442079460958')).json()).toEqual({
      number: '+442079460958',
      onNet: false,
      currency: 'usd',
      pricePerMinute: '0.0123',
      connectionFee: '0.05',
      firstIncrement: 30,
      nextIncrement: 6,
    });
    expect((await as(user, 'GET', '/calls/quote?number=%2B442079460999')).json()).toMatchObject({ onNet: true, pricePerMinute: '0' });
    const bad = await as(user, 'GET', '/calls/quote?number=pizza');
    expect([bad.statusCode, bad.headers['content-type']]).toEqual([400, expect.stringMatching(/problem\+json/)]);
    expect((await as(user, 'GET', '/calls/quote?number=%2B81312345678')).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/calls/quote?number=%2B442079460958' })).statusCode).toBe(401);
  });

  it('quotes the echo test number free, as dialled (no rate needed); a lookalike is not a number', async () => {
    expect((await as(user, 'GET', '/calls/quote?number=*43')).json()).toEqual({
      number: '*43',
      onNet: false,
      echoTest: true,
      currency: 'usd',
      pricePerMinute: '0',
      connectionFee: '0',
      firstIncrement: 1,
      nextIncrement: 1,
    });
    expect((await as(user, 'GET', '/calls/quote?number=%2A43')).json()).toMatchObject({ echoTest: true });
    expect((await as(user, 'GET', '/calls/quote?number=*44')).statusCode).toBe(400);
  });

  it("shows a user their own calls newest first, a page at a time, and never another's", async () => {
    const { db } = database();
    const base = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) {
      const id = await openCdr(db, TEST_VAULT, {
        sipCallId: `hist-${i}`,
        direction: 'outbound',
        accountId: user.accountId,
        fromNumber: '+14155550199',
        toNumber: `+4420794609${50 + i}`,
        nodeId: 'test',
      });
      // Spread out in time (started_at is the database's own clock, not writable through the schema).
      await sql`update cdrs set started_at = ${new Date(base + i * 1000)} where id = ${id}`.execute(db);
      if (i === 4) await recordCdrState(db, id, { phase: 'refused', refusal: { reason: 'no-credit' } });
    }
    await openCdr(db, TEST_VAULT, {
      sipCallId: 'theirs',
      direction: 'outbound',
      accountId: other.accountId,
      fromNumber: null,
      toNumber: '+33142685300',
      nodeId: 'test',
    });

    const first = (await as(user, 'GET', '/calls?limit=3')).json<{ calls: { to: string; outcome: string; reason: string | null }[]; next: string }>();
    expect(first.calls.map((call) => call.to)).toEqual(['+442079460954', '+442079460953', '+442079460952']);
    expect(first.calls[0]).toMatchObject({ outcome: 'refused', reason: 'no-credit', missed: false });
    const second = (await as(user, 'GET', `/calls?limit=3&before=${first.next}`)).json<{ calls: { to: string }[]; next: string | null }>();
    expect(second.calls.map((call) => call.to)).toEqual(['+442079460951', '+442079460950']);
    expect(second.next).toBeNull();
    expect((await as(user, 'GET', '/calls?before=not-a-cursor')).statusCode).toBe(400);
  });

  it('pages through calls that started within the same millisecond without repeating or skipping one', async () => {
    const { db } = database();
    const solo = await signIn(app, db);
    for (const micro of ['000001', '000002', '000003']) {
      const id = await openCdr(db, TEST_VAULT, {
        sipCallId: `same-ms-${micro}`,
        direction: 'outbound',
        accountId: solo.accountId,
        fromNumber: null,
        toNumber: `+1415555${micro.slice(2)}`,
        nodeId: 'test',
      });
      await sql`update cdrs set started_at = ${`2026-01-01 00:00:00.${micro}+00`}::timestamptz where id = ${id}`.execute(db);
    }
    const seen: string[] = [];
    let url = '/calls?limit=1';
    for (let page = 0; page < 5; page++) {
      const body = (await as(solo, 'GET', url)).json<{ calls: { to: string }[]; next: string | null }>();
      seen.push(...body.calls.map((call) => call.to));
      if (body.next === null) break;
      url = `/calls?limit=1&before=${body.next}`;
    }
    expect(seen).toEqual(['+14155550003', '+14155550002', '+14155550001']);
    // The export walks the same way, oldest first, in batches.
    const exported: string[] = [];
    for await (const cdr of exportCdrs(db, TEST_VAULT, { accountId: solo.accountId }, 1)) exported.push(String(cdr.to_number));
    expect(exported).toEqual(['+14155550001', '+14155550002', '+14155550003']);
  });

  it('streams every call record to operators as CSV or NDJSON, filtered by time and account, and audits it', async () => {
    const { db } = database();
    const owner = await signIn(app, db);
    const day = (n: number) => `2025-03-${String(n).padStart(2, '0')} 12:00:00+00`;
    for (let i = 0; i < 30; i++) {
      const id = await openCdr(db, TEST_VAULT, {
        sipCallId: `export-${i}`,
        direction: 'inbound',
        accountId: i % 3 === 0 ? other.accountId : owner.accountId,
        fromNumber: '+33142685300',
        toNumber: '+14155550123',
        nodeId: 'test',
      });
      await sql`update cdrs set started_at = ${day(1 + (i % 10))}::timestamptz, cost = ${i * 1000} where id = ${id}`.execute(db);
    }
    const expected = await db
      .selectFrom('cdrs')
      .select(['id', 'cost'])
      .where('account_id', '=', owner.accountId)
      .where('started_at', '>=', new Date('2025-03-03T00:00:00Z'))
      .where('started_at', '<', new Date('2025-03-08T00:00:00Z'))
      .execute();
    expect(expected.length).toBe(10);

    const query = `from=2025-03-03T00:00:00Z&to=2025-03-08T00:00:00Z&accountId=${owner.accountId}`;
    const csv = await as(operator, 'GET', `/admin/cdrs/export?${query}`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.id).sort()).toEqual(expected.map((row) => row.id).sort());
    expect(rows.map((row) => row.started_at)).toEqual([...rows.map((row) => row.started_at)].sort());
    // export-4 is the owner's, from 5 March, cost 4000 micros: 0.004 in currency units.
    expect(rows.find((row) => row.sip_call_id === 'export-4')).toMatchObject({
      direction: 'inbound',
      cost: '0.004',
      from_number: '+33142685300',
      started_at: '2025-03-05T12:00:00.000Z',
    });

    const ndjson = await as(operator, 'GET', `/admin/cdrs/export?format=ndjson&${query}`);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; account_id: string });
    expect(lines.map((line) => line.id)).toEqual(rows.map((row) => row.id));
    expect(new Set(lines.map((line) => line.account_id))).toEqual(new Set([owner.accountId]));

    expect((await as(user, 'GET', '/admin/cdrs/export')).statusCode).toBe(403);
    expect((await as(operator, 'GET', '/admin/cdrs/export?from=yesterday')).statusCode).toBe(400);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'subject_account_id'])
      .where('action', '=', 'admin.cdr_export')
      .where('actor_account_id', '=', operator.accountId)
      .execute();
    expect(audit).toContainEqual({ action: 'admin.cdr_export', subject_account_id: owner.accountId });
  });

  it('narrows the export by direction, outcome (as GET /calls reads it) and trunk, in CSV and NDJSON', async () => {
    const { db } = database();
    const owner = await signIn(app, db);
    const trunk = async (name: string) =>
      (await as(operator, 'POST', '/admin/trunks', { name, outboundUri: 'sip:sbc.filter.example' })).json<{ id: number }>().id;
    const [mine, theirs] = [await trunk('filter-mine'), await trunk('filter-theirs')];
    const calls = [
      { id: 'out-answered', direction: 'outbound', phase: 'ended', status: 200, answered: true, trunk: mine },
      { id: 'out-busy', direction: 'outbound', phase: 'failed', status: 486, answered: false, trunk: mine },
      { id: 'out-refused', direction: 'outbound', phase: 'refused', status: 403, answered: false, trunk: mine },
      { id: 'out-cancelled', direction: 'outbound', phase: 'cancelled', status: 487, answered: false, trunk: mine },
      { id: 'out-answered-elsewhere', direction: 'outbound', phase: 'ended', status: 200, answered: true, trunk: theirs },
      { id: 'in-answered', direction: 'inbound', phase: 'ended', status: 200, answered: true, trunk: mine },
      { id: 'echo-answered', direction: 'echo', phase: 'ended', status: 200, answered: true, trunk: null },
      { id: 'onnet-unavailable', direction: 'onnet', phase: 'failed', status: 503, answered: false, trunk: null },
    ];
    for (const [i, call] of calls.entries()) {
      await sql`
        insert into cdrs (sip_call_id, direction, account_id, trunk_id, phase, sip_status, started_at, answered_at, node_id)
        values (${`filter-${call.id}`}, ${call.direction}, ${owner.accountId}, ${call.trunk}, ${call.phase}, ${call.status},
                timestamptz '2025-04-01 09:00:00+00' + ${i} * interval '1 minute',
                ${call.answered ? sql`timestamptz '2025-04-01 09:00:05+00' + ${i} * interval '1 minute'` : null}, 'test')
      `.execute(db);
    }
    const exported = async (filter: string) => {
      const csv = await as(operator, 'GET', `/admin/cdrs/export?accountId=${owner.accountId}&${filter}`);
      expect(csv.statusCode, csv.body).toBe(200);
      const ids = (parse(csv.body, { columns: true }) as Record<string, string>[]).map((row) => row.sip_call_id!.replace('filter-', ''));
      const ndjson = await as(operator, 'GET', `/admin/cdrs/export?format=ndjson&accountId=${owner.accountId}&${filter}`);
      const lines = ndjson.body.split('\n').filter((line) => line !== '');
      expect(lines.map((line) => (JSON.parse(line) as { sip_call_id: string }).sip_call_id.replace('filter-', ''))).toEqual(ids);
      return ids;
    };
    expect(await exported(`direction=outbound&outcome=answered&trunkId=${mine}`)).toEqual(['out-answered']);
    expect(await exported(`direction=outbound&outcome=missed&trunkId=${mine}`)).toEqual(['out-busy', 'out-cancelled']);
    expect(await exported('outcome=failed')).toEqual(['out-refused', 'onnet-unavailable']);
    expect(await exported('outcome=answered')).toEqual(['out-answered', 'out-answered-elsewhere', 'in-answered', 'echo-answered']);
    expect(await exported('direction=echo')).toEqual(['echo-answered']);
    expect(await exported(`trunkId=${mine}`)).toEqual(['out-answered', 'out-busy', 'out-refused', 'out-cancelled', 'in-answered']);
    expect(await exported(`direction=inbound&trunkId=${theirs}`)).toEqual([]);

    expect((await as(operator, 'GET', '/admin/cdrs/export?direction=out')).statusCode).toBe(400);
    expect((await as(operator, 'GET', '/admin/cdrs/export?outcome=refused')).statusCode).toBe(400);
    const audit = await db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'admin.cdr_export')
      .where('subject_account_id', '=', owner.accountId)
      .execute();
    expect(audit.map((row) => row.detail)).toContainEqual(expect.objectContaining({ direction: 'outbound', outcome: 'missed', trunkId: mine }));
  });
});

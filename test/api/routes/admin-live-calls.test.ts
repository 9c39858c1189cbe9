// Live calls and the operator's hang-up through the admin API on every dialect: records opened and moved through
// the real call-record functions; the hang-up is a request the node holding the call acts on (the signaling side is
// test/signaling/invite/calls-operator-hang-up.test.ts), recorded once, audited once, refused for calls that are over.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openCdr, recordCdrState } from '../../../core/calls/cdr.ts';
import { hangUpsRequested } from '../../../core/calls/hang-up-request.ts';
import { createTrunk } from '../../../core/calls/trunk-admin.ts';
import { signIn, testApi, TEST_VAULT, type SignedIn } from '../../harness/api.ts';
import { describeEachDialect } from '../../harness/databases.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

interface LiveCallDto {
  id: string;
  direction: string;
  accountId: string | null;
  accountEmail: string | null;
  trunk: string | null;
  phase: string;
  from: string | null;
  to: string | null;
  answeredAt: string | null;
  seconds: number;
  nodeId: string;
  hangUpRequestedAt: string | null;
}

describeEachDialect('operator live calls API', (database) => {
  let app: FastifyInstance;
  let operator: SignedIn;
  let user: SignedIn;
  let answered: string;
  let ringing: string;
  let ended: string;
  beforeAll(async () => {
    app = await testApi(database(), {});
    const { db } = database();
    operator = await signIn(app, db, { role: 'operator' });
    user = await signIn(app, db);
    const trunk = await createTrunk(db, operator.accountId, {
      name: 'carrier-live',
      priority: 1,
      outboundUri: 'sip:carrier.example.net:5060',
      auth: null,
      inboundSources: [],
      enabled: true,
    });
    const open = (sipCallId: string, toNumber: string) =>
      openCdr(db, TEST_VAULT, {
        sipCallId,
        direction: 'outbound',
        accountId: user.accountId,
        fromNumber: '+14155550123',
        toNumber,
        nodeId: 'sig-a',
        trunkId: trunk.id,
      });
    answered = await open('live-answered', '+442079460958');
    await recordCdrState(db, answered, { phase: 'answered', target: '+442079460958', answeredAt: new Date(Date.now() - 42_000) });
    ringing = await open('live-ringing', '+33142685300');
    await recordCdrState(db, ringing, { phase: 'dialing', attempt: 1, target: '+33142685300' });
    ended = await open('live-ended', '+442079460959');
    const answeredAt = new Date(Date.now() - 60_000);
    await recordCdrState(db, ended, { phase: 'ended', target: '+442079460959', answeredAt, endedAt: new Date(), by: 'caller', cause: 'normal' });
  });
  afterAll(() => app?.close());

  const live = async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/calls/live', headers: operator.headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ calls: LiveCallDto[] }>().calls;
  };
  const hangUp = (id: string, who: SignedIn = operator) => app.inject({ method: 'POST', url: `/admin/calls/${id}/hang-up`, headers: who.headers });

  it('lists the calls not ended, newest first, with account, trunk, phase and time so far; numbers masked', async () => {
    const calls = await live();
    expect(calls.map((call) => call.id)).toEqual([ringing, answered]);
    const [dialing, up] = calls;
    expect(up).toMatchObject({
      direction: 'outbound',
      accountId: user.accountId,
      accountEmail: user.email,
      trunk: 'carrier-live',
      phase: 'answered',
      from: '+•••••••0123',
      to: '+••••••••0958',
      nodeId: 'sig-a',
      hangUpRequestedAt: null,
    });
    expect(up!.seconds).toBeGreaterThanOrEqual(42);
    expect(dialing).toMatchObject({ phase: 'dialing', answeredAt: null, to: '+•••••••5300' });
  });

  it('records a hang-up for the node holding the call, audits it once, and answers the same when asked again', async () => {
    const { db } = database();
    const first = await hangUp(answered);
    expect(first.statusCode, first.body).toBe(202);
    const accepted = first.json<{ id: string; nodeId: string; requestedAt: string }>();
    expect(accepted).toMatchObject({ id: answered, nodeId: 'sig-a' });
    // The node that holds it sees the request among its open calls; another node sees none.
    expect(await hangUpsRequested(db, 'sig-a')).toEqual(new Set(['live-answered']));
    expect(await hangUpsRequested(db, 'sig-b')).toEqual(new Set());
    expect((await live()).find((call) => call.id === answered)?.hangUpRequestedAt).toBe(accepted.requestedAt);

    const again = await hangUp(answered);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(accepted);
    const events = await db.selectFrom('audit_events').selectAll().where('action', '=', 'calls.hang_up_requested').execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_account_id: operator.accountId,
      subject_account_id: user.accountId,
      detail: { callId: answered, nodeId: 'sig-a' },
    });
  });

  it('accepts a call still ringing: its node stops it too', async () => {
    const accepted = await hangUp(ringing);
    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json()).toMatchObject({ id: ringing });
    const [record] = await database().db.selectFrom('cdrs').select(['sip_call_id', 'node_id']).where('id', '=', ringing).execute();
    expect(await hangUpsRequested(database().db, record!.node_id)).toContain(record!.sip_call_id);
  });

  it('refuses a call that is over and an unknown one, as problems', async () => {
    const over = await hangUp(ended);
    expect(over.statusCode).toBe(409);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json<{ detail: string }>().detail).toMatch(/^the call already ended at /);
    const unknown = await hangUp('00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/admin/calls/not-a-uuid/hang-up', headers: operator.headers })).statusCode).toBe(400);
  });

  it('is for operators only', async () => {
    expect((await app.inject({ method: 'GET', url: '/admin/calls/live' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/calls/live', headers: user.headers })).statusCode).toBe(403);
    const refused = await hangUp(answered, user);
    expect(refused.statusCode).toBe(403);
  });
});

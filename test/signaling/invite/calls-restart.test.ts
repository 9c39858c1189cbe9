// A restart mid-call: the real app (main.ts, signaling role) is killed with SIGKILL while one call talks and another
// rings, then started again with the same SIGNALING_NODE_ID; it must close both orphaned records and their holds.
// drachtio-server drops the dead app's connection at once but keeps its dialogs: the restarted app hangs up both legs
// of the answered call by their dialog ids. A node that never comes back has its calls closed the same way by
// another node once it has been silent for CALL_NODE_DEAD_SECONDS.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceMismatches, balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { TEST_MASTER_KEY } from '../../harness/api.ts';
import { startApp, type AppProcess } from '../../harness/app-process.ts';
import { callFixtures, onceAnswered, onceMarkedAlive, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision, startDrachtio, type DrachtioServer } from '../../harness/drachtio.ts';
import { sippBinary, startSipp } from '../../harness/sipp.ts';

// The app runs in its own process, so the database must be a server both processes reach.
const missing = drachtioProvision.via === 'missing' || sippBinary === undefined || preferredDialect() !== 'postgres';

/** Resolves once the app has printed a line matching `pattern` (pino JSON on stdout). */
function printed(app: AppProcess, pattern: RegExp): Promise<void> {
  return vi.waitFor(
    () => {
      if (!pattern.test(app.stdout())) throw new Error(`app has not printed ${pattern} yet:\n${app.stderr()}${app.stdout().slice(-2000)}`);
    },
    { timeout: 20_000, interval: 100 },
  );
}

// A separate process sees a trunk change at its next cache poll: the suite waits out three of them.
const CACHE_POLL_MS = 100;
const cachesSeeIt = () => new Promise<void>((resolve) => setTimeout(resolve, 3 * CACHE_POLL_MS));

describe.skipIf(missing)('a restart of the app mid-call, over real drachtio-server', () => {
  let database: TestDatabase;
  let drachtio: DrachtioServer;
  const running: AppProcess[] = [];
  const peers: { stop(): void }[] = [];

  const startSignalingProcess = async (nodeId = 'node-restart-test', env: Record<string, string> = {}): Promise<AppProcess> => {
    const app = startApp({
      DIALO_ROLES: 'signaling',
      // Each process serves /healthz and /readyz (no api role here): on a port of its own.
      HTTP_PORT: '0',
      DATABASE_URL: database.url!,
      PRIVACY_MASTER_KEY: TEST_MASTER_KEY,
      DRACHTIO_HOST: drachtio.admin.host,
      DRACHTIO_PORT: String(drachtio.admin.port),
      DRACHTIO_SECRET: drachtio.admin.secret,
      SIP_SECRET: 's'.repeat(40),
      SIP_REALM: 'dialo.test',
      SIGNALING_NODE_ID: nodeId,
      CALLER_ID_DEFAULT: '+14155550199',
      TRUNK_TIMEOUT_SECONDS: '30',
      // The sipp carriers answer their scenario only: an OPTIONS ping would count as a failed call to them.
      TRUNK_PING_INTERVAL_MS: '0',
      CALL_HEARTBEAT_SECONDS: '1',
      CACHE_POLL_MS: String(CACHE_POLL_MS),
      LOG_LEVEL: 'info',
      ...env,
    });
    running.push(app);
    await printed(app, /drachtio: connected/);
    return app;
  };

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    drachtio = await startDrachtio();
    // 6.00 a minute by the second to the UK: 0.10 per started second.
    await createRate(
      database.db,
      toRateInput({ prefix: '44', pricePerMinute: '6.00', firstIncrement: 1, nextIncrement: 1, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
  });
  afterAll(async () => {
    for (const app of running) app.child.kill('SIGKILL');
    for (const peer of peers) peer.stop();
    await drachtio?.stop();
    await database?.close();
  });

  const { caller, carrier } = callFixtures(() => database, cachesSeeIt);

  it('closes the answered call (billed to its last heartbeat) and the ringing one (hold released)', async () => {
    const { db } = database;
    const first = await startSignalingProcess();
    const target = `127.0.0.1:${drachtio.sipPort}`;

    // One call answered and talking (long enough to outlive the restart) ...
    const talker = await caller('tina', 10 * UNIT);
    const answering = await carrier('carrier-answer', 'uas-answer.xml', { priority: 1, timeoutSeconds: 60 });
    const talking = await startSipp({ scenario: 'uac-call-expect-200.xml', target, fields: [talker.fields('+442079460958', 60_000)], timeoutSeconds: 90 });
    peers.push(answering, talking);
    const answered = await onceAnswered(database, talker.accountId);
    await db.deleteFrom('trunks').where('id', '=', answering.trunkId).execute();
    await cachesSeeIt();

    // ... and one ringing at a carrier that never answers.
    const ringer = await caller('rita', 10 * UNIT);
    const ringing = await carrier('carrier-ring', 'uas-ring-no-answer.xml', { priority: 1, timeoutSeconds: 60 });
    const waiting = await startSipp({ scenario: 'uac-call-expect-200.xml', target, fields: [ringer.fields('+442079460959', 0)], timeoutSeconds: 90 });
    peers.push(ringing, waiting);
    await vi.waitFor(
      async () => {
        const hold = await db.selectFrom('reservations').select('status').where('account_id', '=', ringer.accountId).executeTakeFirst();
        if (hold?.status !== 'active') throw new Error('ringing call holds no credit yet');
      },
      { timeout: 10_000 },
    );

    // The talking call has been marked alive by a heartbeat since it was answered.
    await onceMarkedAlive(database, answered.id);

    // Killed, not stopped: no handler runs, nothing is closed or settled by the dying process.
    const killedAt = new Date();
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await db.selectFrom('cdrs').select('id').where('ended_at', 'is', null).execute()).toHaveLength(2);
    const lastSeen = (await db.selectFrom('cdrs').select('alive_at').where('id', '=', answered.id).executeTakeFirstOrThrow()).alive_at!;

    const second = await startSignalingProcess();
    await printed(second, /"closed":2,.*closed calls left open by a previous process/);
    // drachtio-server kept the dead process's dialogs: the new one sends BYE on both legs of the answered call, so
    // the carrier stops carrying (and charging for) a call nobody bills any more.
    await printed(second, /sent BYE on the legs of calls left up/);
    expect(second.stdout()).toMatch(/"legs":2,"hungUp":2,.*sent BYE on the legs of calls left up/);
    const carrierRun = await answering.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);

    const talked = await db.selectFrom('cdrs').selectAll().where('id', '=', answered.id).executeTakeFirstOrThrow();
    expect(talked).toMatchObject({ phase: 'ended', ended_by: 'system', hangup_cause: 'orphaned-by-restart' });
    // Ended at its last heartbeat, the last moment it was known to be up: not at the restart.
    expect(talked.ended_at).toEqual(lastSeen);
    expect(talked.ended_at!.getTime()).toBeLessThanOrEqual(killedAt.getTime());
    // Billed from answer to that heartbeat, by the second at 0.10.
    const seconds = Math.ceil((talked.ended_at!.getTime() - talked.answered_at!.getTime()) / 1000);
    expect(talked.billable_seconds).toBe(seconds);
    expect(talked.cost).toBe(seconds * (UNIT / 10));
    const talkHold = await db.selectFrom('reservations').selectAll().where('cdr_id', '=', talked.id).executeTakeFirstOrThrow();
    expect(talkHold).toMatchObject({ status: 'settled', billable_seconds: seconds, charged: talked.cost });
    expect(await balanceOf(db, talker.accountId)).toEqual({ balance: 10 * UNIT - talked.cost!, reserved: 0, available: 10 * UNIT - talked.cost! });

    const rang = await db.selectFrom('cdrs').selectAll().where('account_id', '=', ringer.accountId).executeTakeFirstOrThrow();
    expect(rang).toMatchObject({ phase: 'failed', ended_by: 'system', hangup_cause: 'orphaned-by-restart', answered_at: null, billable_seconds: null });
    expect(await db.selectFrom('reservations').select(['status', 'charged']).where('cdr_id', '=', rang.id).executeTakeFirstOrThrow()).toEqual({
      status: 'released',
      charged: 0,
    });
    expect(await balanceOf(db, ringer.accountId)).toEqual({ balance: 10 * UNIT, reserved: 0, available: 10 * UNIT });
    expect(await balanceMismatches(db)).toEqual([]);
  });

  it('a node that never comes back: another node closes its calls after CALL_NODE_DEAD_SECONDS, billed to the last heartbeat, and hangs up both legs', async () => {
    const { db } = database;
    const env = { CALL_NODE_DEAD_SECONDS: '3' };
    await db.deleteFrom('trunks').execute();
    await cachesSeeIt();
    // Only the two nodes of this story: any node still up would close the dying node's calls just as well.
    for (const app of running.splice(0)) app.child.kill('SIGKILL');
    const dying = await startSignalingProcess('node-dying', env);
    const target = `127.0.0.1:${drachtio.sipPort}`;
    const talker = await caller('ursula', 10 * UNIT);
    const answering = await carrier('carrier-answer-2', 'uas-answer.xml', { priority: 1, timeoutSeconds: 60 });
    const talking = await startSipp({ scenario: 'uac-call-expect-200.xml', target, fields: [talker.fields('+442079460960', 60_000)], timeoutSeconds: 90 });
    peers.push(answering, talking);
    const answered = await onceAnswered(database, talker.accountId);
    await onceMarkedAlive(database, answered.id);
    // The survivor joins while the call talks on the dying node; then the dying node is killed and never restarted.
    const survivor = await startSignalingProcess('node-survivor', env);
    dying.child.kill('SIGKILL');
    expect(await dying.exited).toBe('SIGKILL');
    const lastSeen = (await db.selectFrom('cdrs').select('alive_at').where('id', '=', answered.id).executeTakeFirstOrThrow()).alive_at!;

    await printed(survivor, /"nodes":\["node-dying"\].*closed the calls of silent signaling nodes/);
    expect(survivor.stdout()).toMatch(/"legs":2,.*"failures":\[\].*closed the calls of silent signaling nodes/);
    const carrierRun = await answering.done;
    expect(carrierRun.code, carrierRun.log).toBe(0);

    const talked = await db.selectFrom('cdrs').selectAll().where('id', '=', answered.id).executeTakeFirstOrThrow();
    expect(talked).toMatchObject({
      phase: 'ended',
      ended_by: 'system',
      hangup_cause: 'orphaned-by-restart',
      ended_at: lastSeen,
      caller_dialog: null,
      callee_dialog: null,
    });
    const seconds = Math.ceil((talked.ended_at!.getTime() - talked.answered_at!.getTime()) / 1000);
    expect(talked).toMatchObject({ billable_seconds: seconds, cost: seconds * (UNIT / 10) });
    expect(await balanceOf(db, talker.accountId)).toEqual({ balance: 10 * UNIT - talked.cost!, reserved: 0, available: 10 * UNIT - talked.cost! });
    expect(await balanceMismatches(db)).toEqual([]);
  });
});

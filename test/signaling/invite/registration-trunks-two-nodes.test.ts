// Two signaling nodes, each on its own real drachtio-server, sharing one database: node A holds a registration trunk's
// lease and its registrar (sipp) answers 403; node B, which never registered the trunk, routes its calls around it
// from the state node A wrote (core/calls/trunk-state.ts).
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { takeTrunkLease } from '../../../core/calls/trunk-lease.ts';
import { useCallStack } from '../../harness/call-stack.ts';
import { callFixtures, UNIT } from '../../harness/calls.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { freeUdpPort } from '../../harness/external.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { runSipp, sippBinary, startSipp } from '../../harness/sipp.ts';

const missing = drachtioProvision.via === 'missing' || sippBinary === undefined;

describe.skipIf(missing)('a registration failed on one signaling node, seen by another', () => {
  const ENV = { TRUNK_TIMEOUT_SECONDS: '60', TRUNK_REGISTER_RETRY_MIN_MS: '200', TRUNK_REGISTER_RETRY_MAX_MS: '60000' };
  const suite = useCallStack({ ...ENV, SIGNALING_NODE_ID: 'sig-a' }, async (db) => {
    await createRate(db, toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }));
  });
  let nodeB: SignalingStack | undefined;
  beforeAll(async () => {
    nodeB = await startSignalingStack(suite.database, { CALLER_ID_DEFAULT: '+14155550199', ...ENV, SIGNALING_NODE_ID: 'sig-b' });
  });
  afterAll(() => nodeB?.stop());
  const refresh = async () => {
    await suite.stack.signaling.refreshCaches();
    await nodeB?.signaling.refreshCaches();
  };
  const { caller, carrier, finishedCdr } = callFixtures(() => suite.database, refresh);

  it("node B skips the trunk whose REGISTER node A's registrar refused with 403 (no INVITE reaches it)", async () => {
    const b = nodeB!;
    const port = await freeUdpPort();
    // The registration trunk's outbound next hop takes every datagram and answers none: a call tried there would show.
    const silent = createSocket('udp4');
    const heard: string[] = [];
    silent.on('message', (message) => heard.push(message.toString('latin1')));
    const silentPort = await freeUdpPort();
    await new Promise<void>((resolve) => silent.bind(silentPort, '127.0.0.1', resolve));
    const registrar = await startSipp({ scenario: 'uas-registrar-forbidden.xml', target: '', listenPort: port, timeoutSeconds: 30 });
    try {
      const second = await carrier('carrier-second', 'uas-answer.xml', { priority: 2 });
      // The trunk comes with node A's lease, in one transaction: node B never sees it free, so A registers it.
      const trunkId = await suite.database.db.transaction().execute(async (tx) => {
        const trunk = await tx
          .insertInto('trunks')
          .values({
            name: 'carrier-refused',
            priority: 1,
            outbound_uri: `sip:127.0.0.1:${silentPort}`,
            register_uri: `sip:127.0.0.1:${port}`,
            register_username: 'reguser',
            register_password: 'regpass',
            register_expires: 600,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        expect(await takeTrunkLease(tx, trunk.id, 'sig-a', new Date(), suite.stack.config.calls.trunkRegister.leaseMs)).toBe(true);
        return trunk.id;
      });
      await refresh();

      await vi.waitFor(
        () => {
          const state = suite.stack.signaling.trunkRegistrations.get(trunkId)?.state;
          if (state?.kind !== 'failed' || state.status !== 403) throw new Error(`node A's registration is ${JSON.stringify(state)}, not failed with 403`);
        },
        { timeout: 20_000, interval: 50 },
      );
      // Node B holds no registration of it: it knows of the failure from node A's row, at its next cache poll.
      expect(b.signaling.trunkRegistrations.get(trunkId)).toBeUndefined();
      await vi.waitFor(
        async () => {
          await b.signaling.refreshCaches();
          if (!b.signaling.trunkRegistrations.isDown(trunkId)) throw new Error('node B does not skip the trunk yet');
        },
        { timeout: 10_000, interval: 100 },
      );

      const who = await caller('sven', 10 * UNIT);
      const call = await runSipp({ scenario: 'uac-call-expect-200.xml', target: b.target, fields: [who.fields('+14155550100', 300)] });
      expect(call.code, call.log).toBe(0);
      expect(await finishedCdr(who.accountId)).toMatchObject({ node_id: 'sig-b', trunk_id: second.trunkId });
      expect(heard.filter((message) => message.startsWith('INVITE '))).toEqual([]);
      second.stop();
    } finally {
      registrar.stop();
      silent.close();
    }
  });
});

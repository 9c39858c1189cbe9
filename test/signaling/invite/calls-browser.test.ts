// A browser tab (SIP over WebSocket, WebRTC SDP) placing calls through real drachtio-server: with no media server
// configured, a call to a carrier cannot carry audio, so it is refused up front instead of connecting silence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf } from '../../../core/billing/ledger.ts';
import { createRate, toRateInput } from '../../../core/billing/rates.ts';
import { createAccount, credit } from '../../harness/billing.ts';
import { registerBrowserTab } from '../../harness/browser-tab.ts';
import { callFixtures, refreshOf, UNIT } from '../../harness/calls.ts';
import { freshDatabase, preferredDialect, type TestDatabase } from '../../harness/databases.ts';
import { drachtioProvision } from '../../harness/drachtio.ts';
import { startSignalingStack, type SignalingStack } from '../../harness/signaling.ts';
import { WsSipClient } from '../../harness/ws-sip-client.ts';

describe.skipIf(drachtioProvision.via === 'missing')('browser calls over real drachtio-server (WebSocket)', () => {
  let database: TestDatabase;
  let stack: SignalingStack;
  let client: WsSipClient;
  const { carrier, lastCdr } = callFixtures(
    () => database,
    refreshOf(() => stack),
  );

  beforeAll(async () => {
    database = await freshDatabase(preferredDialect());
    stack = await startSignalingStack(database, { CALLER_ID_DEFAULT: '+14155550199' });
    await createRate(
      database.db,
      toRateInput({ prefix: '1415', pricePerMinute: '0.60', firstIncrement: 60, nextIncrement: 60, effectiveFrom: '2000-01-01T00:00:00Z' }),
    );
    client = await WsSipClient.connect(`ws://127.0.0.1:${stack.drachtio.wsPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
    await database?.close();
  });

  it('refuses a browser call to a carrier with 488 media-unavailable, records it, holds nothing', async () => {
    const accountId = await createAccount(database.db);
    await credit(database.db, accountId, 5 * UNIT);
    // A carrier is there and would answer: the refusal is about media, not routing.
    await carrier('carrier-rtp', 'uas-answer.xml', { timeoutSeconds: 5 });
    const tab = await registerBrowserTab(client, stack.config.sip!, accountId);

    const response = await tab.call('+14155550100');
    expect([response.status, response.header('X-Reason')]).toEqual([488, 'media-unavailable']);
    expect(await lastCdr(accountId)).toMatchObject({ direction: 'outbound', phase: 'refused', refusal_reason: 'media-unavailable', to_number: '+14155550100' });
    const balance = await balanceOf(database.db, accountId);
    expect([balance.balance, balance.available]).toEqual([5 * UNIT, 5 * UNIT]);
    // Refused before any credit was held: not even a hold taken and given back.
    expect(await database.db.selectFrom('reservations').select('id').where('account_id', '=', accountId).execute()).toEqual([]);
  });
});

// core/calls/trunk-admin.ts on every dialect: a registration's DID source is one core knows, whoever asks (the
// admin API's schema and the CLI's choices refuse others first; core is the last word, before the database).
import { expect, it } from 'vitest';
import { CallAdminError } from '../../../core/calls/call-admin-error.ts';
import { createTrunk, listTrunks } from '../../../core/calls/trunk-admin.ts';
import type { TrunkDidSource } from '../../../db/schema.ts';
import { describeEachDialect } from '../../harness/databases.ts';

describeEachDialect('trunk admin', (database) => {
  it('refuses a registration whose DID source is neither to nor request-uri, and writes nothing', async () => {
    const { db } = database();
    const input = (didSource: string) => ({
      name: `reg-${didSource}`,
      priority: 10,
      outboundUri: null,
      auth: null,
      inboundSources: [],
      enabled: true,
      registration: { uri: 'sip:reg.carrier.example', username: 'acct', password: null, expires: 600, didSource: didSource as TrunkDidSource },
    });
    const refused = createTrunk(db, null, input('from'));
    await expect(refused).rejects.toBeInstanceOf(CallAdminError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid', message: 'registration didSource is one of to, request-uri' });
    expect(await listTrunks(db)).toEqual([]);
    expect((await createTrunk(db, null, input('request-uri'))).register_did_source).toBe('request-uri');
  });
});

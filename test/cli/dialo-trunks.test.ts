// `dialo trunks` with everything the admin API takes: a registration trunk with dialling rules, its two passwords
// from stdin (never shown, kept on update), and each bad value refused naming its option, on both dialects.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFile } from 'node:fs/promises';
import { runDialo } from '../harness/app-process.ts';
import { cliDialects, done, fixture, refused, type Fixture } from '../harness/dialo-fixture.ts';
import { testCertificates } from '../harness/tls-certs.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const REGISTRAR = 'sip:reg.carrier.example:5060;transport=udp';

for (const dialect of cliDialects) {
  describe(`dialo trunks, registration and dialling rules [${dialect}]`, () => {
    let data: Fixture;
    beforeAll(async () => {
      data = await fixture(dialect, async () => {});
    });
    afterAll(() => data?.close());

    const dialo = (args: string[], stdin?: string) => runDialo(['--json', 'trunks', ...args], data.env, stdin === undefined ? {} : { stdin });

    it('adds a registration trunk whose settings list shows, with no password; update keeps the stored ones', async () => {
      const add = await dialo(
        [
          'add',
          '--name',
          'reg-carrier',
          '--register-uri',
          REGISTRAR,
          '--register-username',
          'acct-77',
          '--register-password-stdin',
          '--auth-username',
          'acct-77',
          '--auth-password-stdin',
          '--register-expires',
          '600',
          '--register-did-source',
          'request-uri',
          '--number-format',
          'national',
          '--tech-prefix',
          '99',
          '--caller-id-header',
          'pai',
          '--caller-id-withheld',
          '--codec-order',
          'PCMA,PCMU',
        ],
        'digest-secret\nregistrar-secret\n',
      );
      const { id } = done<{ id: number }>(add);

      const listed = await dialo(['list']);
      expect(done(listed)).toEqual([
        {
          id,
          name: 'reg-carrier',
          priority: 100,
          outboundUri: null,
          authUsername: 'acct-77',
          hasPassword: true,
          inboundSources: [],
          enabled: true,
          numberFormat: 'national',
          techPrefix: '99',
          callerIdHeader: 'pai',
          callerIdWithheld: true,
          codecOrder: ['PCMA', 'PCMU'],
          tlsCaPem: null,
          tlsPinSha256: null,
          mediaEncryption: 'none',
          registration: { uri: REGISTRAR, username: 'acct-77', hasPassword: true, expires: 600, didSource: 'request-uri' },
          health: null,
          healthByNode: [],
          registrationState: {
            heldBy: null,
            state: null,
            stale: false,
            since: null,
            lastStatus: null,
            lastReason: null,
            expiresAt: null,
            nextRetryAt: null,
            updatedAt: null,
          },
        },
      ]);
      for (const run of [add, listed]) expect(run.stdout).not.toMatch(/digest-secret|registrar-secret/);

      // What is not given is kept, passwords too; --no-codec-order clears the order.
      expect(done(await dialo(['update', String(id), '--register-expires', '120', '--no-codec-order']))).toMatchObject({
        codecOrder: null,
        registration: { uri: REGISTRAR, username: 'acct-77', hasPassword: true, expires: 120, didSource: 'request-uri' },
      });
      await data.look(async (db) => {
        expect(
          await db.selectFrom('trunks').select(['auth_password', 'register_password', 'tech_prefix']).where('id', '=', id).executeTakeFirstOrThrow(),
        ).toEqual({ auth_password: 'digest-secret', register_password: 'registrar-secret', tech_prefix: '99' });
      });
    });

    it('adds a TLS trunk with its own CA, a pin as pasted and SRTP; update forgets the CA and keeps the rest', async () => {
      const certificates = await testCertificates();
      try {
        const ca = await certificates.ca('carrier');
        const pin = 'ab'.repeat(32);
        const add = await dialo([
          'add',
          '--name',
          'tls-carrier',
          '--outbound-uri',
          'sips:sbc.carrier.example:5061',
          '--tls-ca-file',
          ca.caFile,
          '--tls-pin',
          pin,
          '--media-encryption',
          'sdes',
        ]);
        const { id } = done<{ id: number }>(add);
        expect(done(add)).toMatchObject({
          tlsCaPem: await readFile(ca.caFile, 'utf8'),
          tlsPinSha256: 'AB:'.repeat(31) + 'AB',
          mediaEncryption: 'sdes',
        });
        expect(done(await dialo(['update', String(id), '--no-tls-ca']))).toMatchObject({
          tlsCaPem: null,
          tlsPinSha256: 'AB:'.repeat(31) + 'AB',
          mediaEncryption: 'sdes',
        });
        refused(
          await dialo(['update', String(id), '--tls-pin', 'AB:CD']),
          2,
          /option '--tls-pin <sha256>' argument 'AB:CD' is invalid\. expected the SHA-256 fingerprint/,
        );
        // SDES keys in the SDP of a plain-SIP trunk would be readable on the path: core refuses it, as the API does.
        refused(await dialo(['update', String(id), '--outbound-uri', 'sip:sbc.carrier.example']), 2, /needs a TLS outbound URI/);
        expect(done(await dialo(['remove', String(id)]))).toEqual({ id, removed: true });
      } finally {
        await certificates.remove();
      }
    });

    it('refuses each bad value with one line naming its option, as the API refuses the field', async () => {
      const base = ['add', '--name', 'bad', '--inbound', '203.0.113.0/28'];
      refused(await dialo([...base, '--number-format', 'international']), 2, /option '--number-format <format>' argument 'international' is invalid/);
      refused(
        await dialo([...base, '--codec-order', 'PCMA,pcma']),
        2,
        /option '--codec-order <codecs>' argument 'PCMA,pcma' is invalid\. codec pcma is listed twice/,
      );
      refused(
        await dialo([...base, '--register-uri', REGISTRAR, '--register-username', 'u', '--register-expires', '86401']),
        2,
        /option '--register-expires <seconds>' argument '86401' is invalid\. expected whole seconds from 60 to 86400/,
      );
      refused(await dialo([...base, '--register-did-source', 'from']), 2, /option '--register-did-source <where>' argument 'from' is invalid/);
      refused(await dialo([...base, '--register-expires', '600']), 2, /--register-uri and --register-username are both needed to register/);
      expect(done(await dialo(['list']))).toHaveLength(1);
    });
  });
}

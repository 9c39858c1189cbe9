// The `dialo` bin spawned as an operator runs it, on Postgres and on an embedded PGlite data folder that nothing else
// holds open while the command runs: each command's happy path, its bad-input path (exit 2 or 1 and one line), and
// the audit it leaves, the same as the admin API's.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ha1 } from '../../core/accounts/sip-credentials.ts';
import { openCdr } from '../../core/calls/cdr.ts';
import { connectDatabase } from '../../db/connect.ts';
import type { Database } from '../../db/schema.ts';
import { runDialo } from '../harness/app-process.ts';
import { signIn, testApi, TEST_VAULT, type SignedIn } from '../harness/api.ts';
import { cliDialects, done, fixture, refused, type Fixture } from '../harness/dialo-fixture.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const RATES_HEADER = 'prefix,description,price_per_minute,first_increment,next_increment,connection_fee,effective_from';

const commandLineAudit = (db: Kysely<Database>, action: string) =>
  db.selectFrom('audit_events').select(['subject_account_id', 'detail']).where('action', '=', action).where('actor_account_id', 'is', null).execute();

for (const dialect of cliDialects) {
  describe(`dialo CLI [${dialect}]`, () => {
    let data: Fixture;
    let owner: SignedIn;
    let other: SignedIn;
    beforeAll(async () => {
      data = await fixture(dialect, async (database) => {
        const app = await testApi(database);
        try {
          owner = await signIn(app, database.db);
          other = await signIn(app, database.db);
          // Three call records of the owner's (the second inbound) and one of the other's, numbers sealed as calls seal them.
          for (const [i, accountId] of [owner.accountId, owner.accountId, owner.accountId, other.accountId].entries()) {
            await openCdr(database.db, TEST_VAULT, {
              sipCallId: `cli-${i}`,
              direction: i === 1 ? 'inbound' : 'outbound',
              accountId,
              fromNumber: '+33142685300',
              toNumber: `+1415555010${i}`,
              nodeId: 'test',
            });
          }
        } finally {
          await app.close();
        }
      });
    });
    afterAll(() => data?.close());

    const dialo = (...args: string[]) => runDialo(['--json', ...args], data.env);

    it.runIf(dialect === 'pglite')('refuses a PGlite folder another process holds open, and works once it is closed', async () => {
      const holder = connectDatabase({ kind: 'pglite', dataDir: data.env.PGLITE_DATA_DIR! });
      try {
        await holder.db.selectFrom('accounts').select('id').execute();
        refused(await dialo('accounts', 'list'), 1, /is open in another process: stop the app first/);
        refused(await dialo('migrate'), 1, /is open in another process/);
      } finally {
        await holder.close();
      }
      expect(done<unknown[]>(await dialo('accounts', 'list')).length).toBe(2);
    });

    it('migrate: nothing left to do on a migrated database; --down reverts the last, which migrate applies again; an unknown option is bad usage', async () => {
      expect(done(await dialo('migrate'))).toEqual({ direction: 'up', migrations: [] });
      const reverted = done<{ direction: string; migrations: string[] }>(await dialo('migrate', '--down'));
      expect(reverted).toEqual({ direction: 'down', migrations: [expect.stringMatching(/^\d{4}-/)] });
      expect(done(await dialo('migrate'))).toEqual({ direction: 'up', migrations: reverted.migrations });
      refused(await dialo('migrate', '--sideways'), 2, /unknown option '--sideways'/);
    });

    it('accounts: list, show, make-operator, credit, suspend and lift, audited as the command line', async () => {
      const listed = done<{ id: string; email: string; role: string }[]>(await dialo('accounts', 'list'));
      expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ id: owner.accountId, email: owner.email, role: 'user', status: 'active' })]));
      // Addresses are found through their keyed hash, whatever their case.
      expect(done(await dialo('accounts', 'show', owner.email.toUpperCase()))).toMatchObject({ id: owner.accountId, balance: '0.00' });

      expect(done(await dialo('accounts', 'make-operator', owner.email))).toEqual({ id: owner.accountId, role: 'operator' });
      refused(await dialo('accounts', 'make-operator', 'nobody@example.org'), 1, /no account has that e-mail address/);
      refused(await dialo('accounts', 'show', 'not-an-account'), 2, /account: expected an account id or an e-mail address/);

      expect(done(await dialo('accounts', 'credit', owner.accountId, '5.25', '--reason', 'goodwill'))).toMatchObject({ amount: '5.25', balance: '5.25' });
      refused(await dialo('accounts', 'credit', owner.accountId, 'lots', '--reason', 'x'), 2, /argument 'amount'.*amount in currency units/);
      refused(await dialo('accounts', 'credit', owner.accountId, '1'), 2, /required option '--reason <text>'/);

      expect(done(await dialo('accounts', 'suspend', other.email, '--reason', 'card testing'))).toEqual({ id: other.accountId, suspended: true });
      refused(await dialo('accounts', 'suspend', other.email, '--reason', 'again'), 1, /already suspended/);
      expect(done(await dialo('accounts', 'lift', other.email, '--reason', 'owner called'))).toEqual({ id: other.accountId, suspended: false });

      await data.look(async (db) => {
        expect(await commandLineAudit(db, 'admin.role_set')).toEqual([{ subject_account_id: owner.accountId, detail: { role: 'operator' } }]);
        expect(await commandLineAudit(db, 'billing.adjustment')).toMatchObject([{ subject_account_id: owner.accountId, detail: { amount: 5_250_000 } }]);
        expect(await commandLineAudit(db, 'abuse.outbound_suspended')).toMatchObject([{ subject_account_id: other.accountId }]);
        expect(await commandLineAudit(db, 'abuse.suspension_lifted')).toMatchObject([{ subject_account_id: other.accountId }]);
      });
    });

    it('sip-credentials: a desk phone with a password shown once, HA1s only stored, listed without secrets, removed', async () => {
      const phone = done<{ username: string; realm: string; password: string }>(await dialo('sip-credentials', 'add', other.email, 'kitchen-phone'));
      expect(phone).toMatchObject({ username: 'kitchen-phone', realm: 'desk.test', accountId: other.accountId });
      expect(phone.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      await data.look(async (db) => {
        const row = await db.selectFrom('sip_credentials').selectAll().where('username', '=', 'kitchen-phone').executeTakeFirstOrThrow();
        expect(row.ha1_sha256).toBe(ha1('SHA-256', 'kitchen-phone', 'desk.test', phone.password));
        expect(JSON.stringify(row)).not.toContain(phone.password);
      });
      const listed = await dialo('sip-credentials', 'list', '--account', other.accountId);
      expect(done(listed)).toEqual([{ accountId: other.accountId, username: 'kitchen-phone', realm: 'desk.test', createdAt: expect.any(String) }]);
      expect(listed.stdout).not.toContain(phone.password);

      refused(await dialo('sip-credentials', 'add', other.email, 'kitchen-phone'), 1, /already taken/);
      refused(await dialo('sip-credentials', 'add', other.email, 'no spaces'), 2, /username: 3 to 64 letters/);
      expect(done(await dialo('sip-credentials', 'remove', 'kitchen-phone'))).toEqual({ username: 'kitchen-phone', removed: true });
      refused(await dialo('sip-credentials', 'remove', 'kitchen-phone'), 1, /no desk phone kitchen-phone/);
      await data.look(async (db) => {
        expect((await commandLineAudit(db, 'sip.desk_phone_added')).length).toBe(1);
        expect(await commandLineAudit(db, 'sip.desk_phone_removed')).toEqual([{ subject_account_id: other.accountId, detail: { username: 'kitchen-phone' } }]);
      });
    });

    it('trunks: add with the password from stdin (never shown), list, update, remove', async () => {
      const add = await runDialo(
        ['--json', 'trunks', 'add', '--name', 'carrier-a', '--outbound-uri', 'sip:sbc.carrier.example:5060;transport=udp', '--inbound', '203.0.113.0/28'],
        data.env,
      );
      const trunk = done<{ id: number }>(add);
      const withAuth = await runDialo(
        ['--json', 'trunks', 'update', String(trunk.id), '--auth-username', 'acct-9', '--auth-password-stdin', '--priority', '7'],
        data.env,
        {
          stdin: 'carrier-secret\n',
        },
      );
      expect(done(withAuth)).toMatchObject({ id: trunk.id, priority: 7, authUsername: 'acct-9', hasPassword: true, inboundSources: ['203.0.113.0/28'] });
      expect(withAuth.stdout).not.toContain('carrier-secret');
      await data.look(async (db) => {
        expect(await db.selectFrom('trunks').select('auth_password').where('id', '=', trunk.id).executeTakeFirstOrThrow()).toEqual({
          auth_password: 'carrier-secret',
        });
      });
      const listed = await dialo('trunks', 'list');
      expect(done(listed)).toMatchObject([{ name: 'carrier-a', hasPassword: true }]);
      expect(listed.stdout).not.toContain('carrier-secret');
      const shown = await dialo('trunks', 'show', String(trunk.id));
      expect(done(shown)).toEqual(done<unknown[]>(listed)[0]);
      expect(shown.stdout).not.toContain('carrier-secret');
      refused(await dialo('trunks', 'show', '999'), 1, /trunk 999: no such trunk/);

      refused(await dialo('trunks', 'add', '--name', 'bad/name'), 2, /trunk name is 1-64 letters/);
      refused(await dialo('trunks', 'add', '--name', 'x', '--auth-username', 'u'), 2, /--auth-username and --auth-password-stdin go together/);
      refused(await dialo('trunks', 'update', '999', '--priority', '1'), 1, /no such trunk/);
      refused(await dialo('trunks', 'remove', 'one'), 2, /argument 'id'.*whole number/);
      expect(done(await dialo('trunks', 'remove', String(trunk.id)))).toEqual({ id: trunk.id, removed: true });
      await data.look(async (db) => {
        expect((await commandLineAudit(db, 'calls.trunk_created')).length).toBe(1);
        expect(await commandLineAudit(db, 'calls.trunk_updated')).toMatchObject([{ detail: { credentialsChanged: true } }]);
        expect((await commandLineAudit(db, 'calls.trunk_deleted')).length).toBe(1);
      });
    });

    it('dids: add, assign to an account by e-mail, list; a malformed number is bad usage', async () => {
      expect(done(await dialo('dids', 'add', '+14155550177'))).toEqual({ e164: '+14155550177', accountId: null });
      expect(done(await dialo('dids', 'assign', '+14155550177', owner.email))).toEqual({ e164: '+14155550177', accountId: owner.accountId });
      expect(done(await dialo('dids', 'list', '--account', owner.accountId))).toEqual([{ e164: '+14155550177', accountId: owner.accountId }]);
      refused(await dialo('dids', 'add', '12'), 2, /not an E.164 number/);
      refused(await dialo('dids', 'assign', '+14155550999', 'none'), 1, /is not listed/);
      await data.look(async (db) => expect(await commandLineAudit(db, 'calls.did_assigned')).toMatchObject([{ subject_account_id: owner.accountId }]));
      // Added straight onto an account, by its sign-in address (the README's `dids add <e164> --account <email>`).
      expect(done(await dialo('dids', 'add', '+14155550178', '--account', owner.email))).toEqual({ e164: '+14155550178', accountId: owner.accountId });
      expect(done(await dialo('dids', 'list', '--account', owner.email))).toEqual([
        { e164: '+14155550177', accountId: owner.accountId },
        { e164: '+14155550178', accountId: owner.accountId },
      ]);
      refused(await dialo('dids', 'add', '+14155550179', '--account', 'nobody@example.org'), 1, /no account has that e-mail address/);
    });

    it('rates: import a file all or nothing, list; a bad line names its line number', async () => {
      const good = join(data.dir, 'good.csv');
      const bad = join(data.dir, 'bad.csv');
      await writeFile(good, `${RATES_HEADER}\n44,UK,0.02,60,60,0,2026-01-01T00:00:00Z\n1,NANP,0.01,6,6,0,2026-01-01T00:00:00Z\n`);
      await writeFile(bad, `${RATES_HEADER}\n45,DK,0.02,60,60,0,2026-01-01T00:00:00Z\n46,SE,free,60,60,0,2026-01-01T00:00:00Z\n`);
      expect(done(await dialo('rates', 'import', good))).toEqual({ imported: 2 });
      expect(done<{ prefix: string }[]>(await dialo('rates', 'list')).map((rate) => rate.prefix)).toEqual(['1', '44']);
      expect(done(await dialo('rates', 'list', '--prefix', '44'))).toMatchObject([
        { prefix: '44', pricePerMinute: '0.02', effectiveFrom: '2026-01-01T00:00:00.000Z' },
      ]);

      const refusedFile = await dialo('rates', 'import', bad);
      expect(refusedFile.code).toBe(1);
      expect(refusedFile.stderr).toMatch(/^line 3: price_per_minute/m);
      expect(refusedFile.stderr).toMatch(/^dialo: 1 bad line\(s\) in .*bad\.csv; nothing was imported\n$/m);
      refused(await dialo('rates', 'import', join(data.dir, 'missing.csv')), 2, /file: cannot read .*ENOENT/);
      expect(done<unknown[]>(await dialo('rates', 'list')).length).toBe(2);
      // The import that wrote rates is audited, as the command line; the refused one is not.
      await data.look(async (db) =>
        expect(await commandLineAudit(db, 'billing.rates_imported')).toEqual([{ subject_account_id: null, detail: { imported: 2 } }]),
      );

      // `-` reads stdin, as `docker compose run -T api node cli/dialo.js rates import - < rates.csv` feeds it.
      const piped = await runDialo(['--json', 'rates', 'import', '-'], data.env, { stdin: `${RATES_HEADER}\n47,NO,0.03,60,60,0,2026-01-01T00:00:00Z\n` });
      expect(done(piped)).toEqual({ imported: 1 });
      expect(done<{ prefix: string }[]>(await dialo('rates', 'list', '--prefix', '47'))).toMatchObject([{ prefix: '47', pricePerMinute: '0.03' }]);
      const pipedBad = await runDialo(['rates', 'import', '-'], data.env, { stdin: `${RATES_HEADER}\n48,PL,cheap,60,60,0,2026-01-01T00:00:00Z\n` });
      expect(pipedBad.code).toBe(1);
      expect(pipedBad.stderr).toMatch(/^line 2: price_per_minute[^\n]*\ndialo: 1 bad line\(s\) in stdin; nothing was imported\n$/);
    });

    it('cdrs export: CSV to a file and NDJSON to stdout, numbers opened, filtered by account, audited', async () => {
      const file = join(data.dir, 'cdrs.csv');
      expect(done(await dialo('cdrs', 'export', '--account', owner.email, '--output', file))).toEqual({ rows: 3, format: 'csv', file });
      const rows = parse(await readFile(file, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows.map((row) => row.sip_call_id).sort()).toEqual(['cli-0', 'cli-1', 'cli-2']);
      expect(rows[0]).toMatchObject({ account_id: owner.accountId, from_number: '+33142685300', direction: 'outbound' });

      const ndjson = await runDialo(['cdrs', 'export', '--format', 'ndjson'], data.env);
      expect(ndjson.code, ndjson.stderr).toBe(0);
      const lines = ndjson.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { sip_call_id: string; to_number: string });
      expect(lines.map((line) => line.sip_call_id).sort()).toEqual(['cli-0', 'cli-1', 'cli-2', 'cli-3']);
      expect(lines.find((line) => line.sip_call_id === 'cli-3')?.to_number).toBe('+14155550103');

      const inbound = join(data.dir, 'inbound.csv');
      expect(done(await dialo('cdrs', 'export', '--direction', 'inbound', '--outcome', 'answered', '--output', inbound))).toMatchObject({ rows: 0 });
      expect(done(await dialo('cdrs', 'export', '--direction', 'inbound', '--output', inbound))).toMatchObject({ rows: 1 });
      expect((parse(await readFile(inbound, 'utf8'), { columns: true }) as Record<string, string>[]).map((row) => row.sip_call_id)).toEqual(['cli-1']);

      refused(await dialo('cdrs', 'export', '--format', 'xml'), 2, /'--format <format>' argument 'xml' is invalid/);
      refused(await dialo('cdrs', 'export', '--direction', 'out'), 2, /'--direction <direction>' argument 'out' is invalid/);
      refused(await dialo('cdrs', 'export', '--trunk', 'carrier-a'), 2, /'--trunk <id>' argument 'carrier-a' is invalid/);
      refused(await dialo('cdrs', 'export', '--from', 'yesterday'), 2, /'--from <time>' argument 'yesterday' is invalid/);
      refused(await dialo('cdrs', 'export', '--account', '00000000-0000-4000-8000-000000000000'), 1, /no such account/);
      await data.look(async (db) => {
        expect(await commandLineAudit(db, 'admin.cdr_export')).toEqual([
          { subject_account_id: owner.accountId, detail: { format: 'csv', from: null, to: null, direction: null, outcome: null, trunkId: null } },
          { subject_account_id: null, detail: { format: 'ndjson', from: null, to: null, direction: null, outcome: null, trunkId: null } },
          { subject_account_id: null, detail: { format: 'csv', from: null, to: null, direction: 'inbound', outcome: 'answered', trunkId: null } },
          { subject_account_id: null, detail: { format: 'csv', from: null, to: null, direction: 'inbound', outcome: null, trunkId: null } },
        ]);
      });
    });

    it('holds: place, list and lift a legal hold; an id that is not one is bad usage', async () => {
      const { holdId } = done<{ holdId: string }>(await dialo('holds', 'place', owner.email, '--reason', 'case 2026/118'));
      expect(done(await dialo('holds', 'list', owner.email))).toEqual([
        { id: holdId, reason: 'case 2026/118', placedBy: null, placedAt: expect.any(String), liftedBy: null, liftedAt: null },
      ]);
      refused(await dialo('holds', 'lift', owner.email, 'not-a-hold'), 2, /argument 'hold-id'.*UUID/);
      expect(done(await dialo('holds', 'lift', owner.email, holdId))).toEqual({ accountId: owner.accountId, holdId, lifted: true });
      expect(done(await dialo('holds', 'list', owner.email))).toEqual([expect.objectContaining({ id: holdId, liftedAt: expect.any(String) })]);
      refused(await dialo('holds', 'lift', owner.email, holdId), 1, /no active hold/);
      await data.look(async (db) => expect((await commandLineAudit(db, 'admin.legal_hold_lifted')).length).toBe(1));
    });

    it('retention run: the counts per table, audited', async () => {
      expect(done(await dialo('retention', 'run'))).toMatchObject({ erased_accounts: 0, sessions: 0, rate_limit_counters: expect.any(Number) });
      refused(await dialo('retention', 'run', 'now'), 2, /too many arguments/);
      await data.look(async (db) => expect((await commandLineAudit(db, 'privacy.retention_run')).length).toBe(1));
    });

    it('policy publish: a material version notifies active users; the same version twice fails', async () => {
      const text = join(data.dir, 'policy.txt');
      await writeFile(text, 'We keep call records for 90 days.\n');
      expect(done(await dialo('policy', 'publish', '2026-12', '--file', text, '--material'))).toEqual({ version: '2026-12', notified: 2 });
      refused(await dialo('policy', 'publish', '2026-12', '--file', text), 1, /already published/);
      refused(await dialo('policy', 'publish', 'bad version', '--file', text), 2, /version: 1 to 40 letters/);
      // `--file -` reads the text from stdin.
      const piped = await runDialo(['--json', 'policy', 'publish', '2027-01', '--file', '-'], data.env, { stdin: 'We keep call records for 60 days.\n' });
      expect(done(piped)).toEqual({ version: '2027-01', notified: 0 });
      await data.look(async (db) =>
        expect(await db.selectFrom('policy_versions').select('body_text').where('version', '=', '2027-01').executeTakeFirstOrThrow()).toEqual({
          body_text: 'We keep call records for 60 days.\n',
        }),
      );
      refused(await runDialo(['policy', 'publish', '2027-02', '--file', '-'], data.env, { stdin: '' }), 2, /--file: the file is empty/);
    });
  });
}

describe('dialo CLI usage', () => {
  // Every command's --help and bad input: dialo-usage.test.ts.
  it('lists every command group in its --help; no command at all is bad usage', async () => {
    const top = await runDialo(['--help'], {});
    expect(top.code).toBe(0);
    const groups = ['accounts', 'sip-credentials', 'trunks', 'dids', 'rates', 'cdrs', 'holds', 'retention', 'policy'];
    for (const group of ['migrate', ...groups]) expect(top.stdout).toContain(`  ${group}`);
    const exportHelp = await runDialo(['cdrs', 'export', '--help'], {});
    expect(exportHelp.stdout).toMatch(/--format <format>\s+csv \(with a header line\) or ndjson/);
    expect((await runDialo([], {})).code).toBe(2);
  });

  it('stops on a bad setting with one line naming the variable, exit 1', async () => {
    const run = await runDialo(['accounts', 'list'], { DATABASE_URL: 'mysql://nope' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('dialo: invalid configuration: DATABASE_URL: expected a postgres:// URL, got "<redacted>"\n');
    // Found wrong only once a command needs it, worded the same.
    const keyless = await runDialo(['accounts', 'list'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toMatch(/^dialo: invalid configuration: PRIVACY_MASTER_KEY: expected [^\n]+, got nothing\n$/);
  });
});

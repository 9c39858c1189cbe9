import { expect, it } from 'vitest';
import { runScript } from '../harness/app-process.ts';
import { TEST_MASTER_KEY, TEST_PASSWORD, signIn, useTestApi } from '../harness/api.ts';
import { describeEachDialect } from '../harness/databases.ts';

// The command needs a database another process can open: the Postgres suite only.
describeEachDialect('npm run operator', (database, dialect) => {
  const api = useTestApi(database);
  it.skipIf(dialect === 'pglite')(
    'grants the operator role to a verified account, audited',
    async () => {
      const user = await signIn(api(), database().db);
      // The address is found by its keyed hash: the command needs the vault's master key.
      const env = { DATABASE_URL: database().url ?? '', PRIVACY_MASTER_KEY: TEST_MASTER_KEY };
      const result = await runScript('operator-cli.ts', [user.email.toUpperCase()], env);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`${user.accountId} is now an operator\n`);
      const me = await api().inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: TEST_PASSWORD } });
      expect(me.json()).toMatchObject({ role: 'operator' });
      const audit = await database()
        .db.selectFrom('audit_events')
        .select(['actor_account_id', 'detail'])
        .where('action', '=', 'admin.role_set')
        .where('subject_account_id', '=', user.accountId)
        .executeTakeFirstOrThrow();
      expect(audit).toEqual({ actor_account_id: null, detail: { role: 'operator' } });

      const unknown = await runScript('operator-cli.ts', ['nobody@example.org'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no verified account/);
    },
    90_000,
  );
});

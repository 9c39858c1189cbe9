/**
 * `npm run operator -- <e-mail>`: makes an existing, verified account an operator (no route grants that
 * role). Audited as `admin.role_set` with no actor (the command line).
 */
import { sql } from 'kysely';
import { loadConfigOrExit } from './config.ts';
import { setAccountRole } from './core/accounts/accounts.ts';
import { connectDatabase } from './db/connect.ts';

const email = process.argv[2];
if (email === undefined || email === '--help') {
  process.stdout.write('usage: npm run operator -- <e-mail of a verified account>\n');
  process.exit(email === undefined ? 1 : 0);
}
const config = loadConfigOrExit();
const { db, close } = connectDatabase(config.database);
try {
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'status'])
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  if (account?.status !== 'active') {
    process.stderr.write(`dialo: no verified account with that e-mail address\n`);
    process.exitCode = 1;
  } else {
    await setAccountRole(db, account.id, 'operator', null);
    process.stdout.write(`${account.id} is now an operator\n`);
  }
} finally {
  await close();
}

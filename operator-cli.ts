/**
 * `npm run operator -- <e-mail>`: makes an existing, verified account an operator (no route grants that
 * role). Audited as `admin.role_set` with no actor (the command line).
 */
import { exitOnConfigError, loadConfigOrExit } from './config.ts';
import { accountByEmail, setAccountRole } from './core/accounts/accounts.ts';
import { createVault } from './core/privacy/vault.ts';
import { connectDatabase } from './db/connect.ts';
import { privacyMasterKey } from './local-servers/secrets.ts';

const email = process.argv[2];
if (email === undefined || email === '--help') {
  process.stdout.write('usage: npm run operator -- <e-mail of a verified account>\n');
  process.exit(email === undefined ? 1 : 0);
}
const config = loadConfigOrExit();
// Addresses are found by their keyed hash (core/accounts/email-address.ts): the vault's master key is needed.
const masterKey = await privacyMasterKey(config).catch(exitOnConfigError);
const { db, close } = connectDatabase(config.database);
try {
  const vault = createVault(masterKey);
  await vault.check(db);
  const account = await accountByEmail(db, vault, email);
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

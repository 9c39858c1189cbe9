/** `npm run retention`: one retention run against the configured database; prints the counts. */
import { exitOnConfigError, loadConfigOrExit } from './config.ts';
import { privacyTools } from './core/privacy/deidentify.ts';
import { createVault } from './core/privacy/vault.ts';
import { privacyMasterKey } from './local-servers/secrets.ts';
import { runRetention } from './core/privacy/retention.ts';
import { connectDatabase } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';

const config = loadConfigOrExit();
if (config.privacy.hashKey === undefined) {
  process.stderr.write('dialo: PRIVACY_HASH_KEY is required for a retention run (it de-identifies records)\n');
  process.exit(1);
}
const masterKey = await privacyMasterKey(config).catch(exitOnConfigError);
const { db, close } = connectDatabase(config.database);
try {
  await migrateToLatest(db);
  const vault = createVault(masterKey);
  await vault.check(db);
  const counts = await runRetention(db, config.privacy.retention, privacyTools(config.privacy.hashKey, vault), null);
  process.stdout.write(`${JSON.stringify(counts)}\n`);
} finally {
  await close();
}

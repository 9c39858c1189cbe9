import { describe, expect, it } from 'vitest';
import { runScript } from '../harness/app-process.ts';

describe('npm run retention', () => {
  it('runs retention once and prints the counts', async () => {
    const result = await runScript('retention-cli.ts', [], { PGLITE_DATA_DIR: 'memory://', PRIVACY_HASH_KEY: 'a-cli-test-key-of-at-least-32-characters' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ erased_accounts: 0, sessions: 0, audit_events: 0, rate_limit_counters: 0 });
  }, 90_000);

  it('refuses to run without a de-identification key', async () => {
    const result = await runScript('retention-cli.ts', [], { PGLITE_DATA_DIR: 'memory://' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PRIVACY_HASH_KEY is required/);
  }, 90_000);
});

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['jobs/retention-cli.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run retention', () => {
  it('runs retention once and prints the counts', async () => {
    const result = await run({ PGLITE_DATA_DIR: 'memory://', PRIVACY_HASH_KEY: 'a-cli-test-key-of-at-least-32-characters' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ erased_accounts: 0, sessions: 0, audit_events: 0, rate_limit_counters: 0 });
  }, 90_000);

  it('refuses to run without a de-identification key', async () => {
    const result = await run({ PGLITE_DATA_DIR: 'memory://' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PRIVACY_HASH_KEY is required/);
  }, 90_000);
});

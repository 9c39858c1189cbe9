/**
 * Vitest's global setup: compiles the server side (`npm run build:server`) once before any test file runs, so the
 * app (test/harness/app-process.ts) and the `dialo` bin the suites spawn run the sources as they are now.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

export default async function buildServer(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build-server.js'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
}

/**
 * Vitest's global setup: compiles the server side (`npm run build:server`'s script) before any test file runs, and
 * again before each re-run in watch mode, so the app (test/harness/app-process.ts) and the `dialo` bin the suites
 * spawn run the sources as they are now.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

async function buildServer(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build-server.js'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
}

export default async function setup(project: TestProject): Promise<void> {
  project.onTestsRerun(buildServer);
  await buildServer();
}

/**
 * The softphone's test page (softphone/test-page: the real phone module behind `window.dialo`), bundled with
 * Vite's JS API and served over HTTP on 127.0.0.1, which Chromium treats as a secure context (getUserMedia works).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'vite';
import { freePort } from './external.ts';

const PAGE_ROOT = resolve(import.meta.dirname, '../../softphone/test-page');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export interface SoftphonePage {
  /** The page's address, e.g. `http://127.0.0.1:21234/`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Bundles the Vite project at `root` (an index.html and what it imports) into a new temporary folder; returns it. */
export async function bundleWithVite(root: string): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'dialo-softphone-'));
  await build({ root, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: true } });
  return outDir;
}

export async function serveSoftphonePage(): Promise<SoftphonePage> {
  const outDir = await bundleWithVite(PAGE_ROOT);
  const server = createServer((request, response) => {
    const path = normalize(new URL(request.url ?? '/', 'http://page').pathname).replace(/^\/+/, '') || 'index.html';
    readFile(join(outDir, path)).then(
      (body) => response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  const port = await freePort();
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      await new Promise<void>((closed) => server.close(() => closed()));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

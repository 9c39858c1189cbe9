#!/usr/bin/env node
// The `dialo` bin: runs the command line compiled by `npm run build` (dist/dialo.js) when that build is newer than
// every source file in it, so an edit made since is never skipped; otherwise (no build, or a stale one) the
// TypeScript itself through tsx's loader, slower to start (about 1 s more CPU) but current.
import { readFileSync, statSync } from 'node:fs';
import { URL } from 'node:url';

const dist = new URL('../dist/', import.meta.url);

function compiledIsCurrent() {
  try {
    const builtAt = statSync(new URL('dialo.js', dist)).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('sources.json', dist), 'utf8'));
    // A source gone since (renamed, deleted) throws: the build is stale too.
    return sources.every((source) => statSync(new URL(`../${source}`, dist)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  await import('../dist/dialo.js');
} else {
  // On Node 20 the loader's hooks run on another thread, one round trip per module resolved and loaded through them:
  // kysely, typebox and libphonenumber-js are ~2,000 of the ~2,300 a command resolves. Loaded natively first, they
  // are in the module map when the TypeScript imports them (about a third of a command's start-up CPU).
  await Promise.all(['kysely', '@sinclair/typebox', 'libphonenumber-js/max'].map((name) => import(name)));
  const { register } = await import('tsx/esm/api');
  register();
  await import('./dialo.ts');
}

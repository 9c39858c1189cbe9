#!/usr/bin/env node
// The `dialo` bin: TypeScript runs through tsx's loader in this process, as `npm start` runs main.ts.
// On Node 20 the loader's hooks run on another thread, one round trip per module resolved and loaded through them:
// kysely, typebox and libphonenumber-js are ~2,000 of the ~2,300 a command resolves. Loaded natively first, they are
// in the module map when the TypeScript imports them (about a third of a command's start-up CPU).
await Promise.all(['kysely', '@sinclair/typebox', 'libphonenumber-js/max'].map((name) => import(name)));
const { register } = await import('tsx/esm/api');

register();
await import('./dialo.ts');

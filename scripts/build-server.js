#!/usr/bin/env node
// Compiles the server side (main.ts and the `dialo` command line, with everything they import) to JavaScript in
// dist/: what `npm start`, the `dialo` bin and the container image run, so no process pays for a TypeScript loader.
// One bundle per entry point with every package left external (node_modules resolves as before); migrations are
// imported by db/migrations/index.ts, so they are in the bundles.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pid } from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist');

/**
 * A module's `import.meta.url` in the bundle would name the bundle: each source file's is rewritten to its own
 * location, so paths it resolves beside itself (softphone/dist, infra/freeswitch) are the same compiled or not.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const fromBundle = relative(outdir, path).split('\\').join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'main.ts', dialo: 'cli/dialo.ts' },
  outdir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  write: false,
  logLevel: 'warning',
  plugins: [ownImportMetaUrl],
});
// Each file replaced whole (written aside, then renamed): a process starting during a rebuild reads old or new.
await mkdir(outdir, { recursive: true });
const sources = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
const files = [...result.outputFiles, { path: join(outdir, 'sources.json'), contents: JSON.stringify(sources) }];
await Promise.all(
  files.map(async (file) => {
    const aside = `${file.path}.${pid}.tmp`;
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(aside, file.contents);
    await rename(aside, file.path);
  }),
);

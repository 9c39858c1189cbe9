// The caller's JavaScript budget (issue 12): 120 KB gzipped in total, counting the entry and every chunk a caller's
// page can load lazily (the usage charts), not the operator console's chunk, which only operators load. A size, not a
// timing: the same build gives the same bytes. bench/results.md keeps the figures build by build.
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { build, type Rolldown } from 'vite';
import { describe, expect, it } from 'vitest';

const APP_ROOT = resolve(import.meta.dirname, '../../softphone');
type OutputChunk = Rolldown.OutputChunk;

const BUDGET_BYTES = 120_000;
/** The operator console, imported only from #operator (operator-area.ts). */
const OPERATOR_ONLY = /\/softphone\/src\/app\/operator-console\.ts$/;

/** The chunks reachable from the entry through static and dynamic imports, the operator console's left out. */
function callerChunks(chunks: readonly OutputChunk[]): OutputChunk[] {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const reached = new Map<string, OutputChunk>();
  const visit = (chunk: OutputChunk) => {
    if (reached.has(chunk.fileName) || OPERATOR_ONLY.test(chunk.facadeModuleId ?? '')) return;
    reached.set(chunk.fileName, chunk);
    for (const imported of [...chunk.imports, ...chunk.dynamicImports]) visit(byName.get(imported)!);
  };
  for (const entry of chunks.filter((chunk) => chunk.isEntry)) visit(entry);
  return [...reached.values()];
}

describe("the caller's JavaScript", () => {
  it(`stays within ${BUDGET_BYTES} bytes gzipped, entry and lazy chunks, the operator console apart`, { timeout: 120_000 }, async () => {
    const output = (await build({ root: APP_ROOT, configFile: false, logLevel: 'warn', build: { write: false } })) as Rolldown.RolldownOutput;
    const chunks = output.output.filter((item): item is OutputChunk => item.type === 'chunk');
    const caller = callerChunks(chunks);
    const names = caller.map(({ fileName }) => fileName.replace(/^assets\/|-[\w-]{8}\.js$/g, '')).sort();
    // The count is about what is in it: the entry and the charts, never the console (else this would guard nothing).
    expect(names).toEqual(expect.arrayContaining(['index', 'usage-charts']));
    expect(names).not.toContain('operator-console');
    expect(chunks.some(({ facadeModuleId }) => OPERATOR_ONLY.test(facadeModuleId ?? ''))).toBe(true);
    const gzipped = caller.reduce((total, { code }) => total + gzipSync(code, { level: 9 }).length, 0);
    console.info(`caller JavaScript: ${gzipped} bytes gzipped in ${names.join(', ')}`);
    expect(gzipped).toBeLessThan(BUDGET_BYTES);
  });
});

/**
 * infra/Dockerfile, checked without a Docker engine: parsed and linted by dockerfile-ast and dockerfile-utils (the
 * parser and validator of the VS Code Docker extension), then held to what the image promises: a pinned Node 20
 * base, a build stage that builds the softphone, production dependencies only at run time, a non-root user, and a
 * healthcheck on /readyz.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = await readFile(`${ROOT}infra/Dockerfile`, 'utf8');
const packageJson = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

describe('infra/Dockerfile', () => {
  const instructions = () =>
    DockerfileParser.parse(text)
      .getInstructions()
      .map((instruction) => [instruction.getKeyword(), instruction.getArgumentsContent() ?? ''] as const);
  /** The instructions of one stage, from its FROM to the next. */
  const stage = (name: string) => {
    const all = instructions();
    const start = all.findIndex(([keyword, args]) => keyword === 'FROM' && args.endsWith(` AS ${name}`));
    const next = all.findIndex(([keyword], i) => i > start && keyword === 'FROM');
    return all.slice(start, next === -1 ? undefined : next);
  };

  it('has no problem the validator finds, and the validator finds them in a broken file', () => {
    expect(validate(text)).toEqual([]);
    expect(validate('FROM node\nUSERR app\nHEALTHCHECK --intervall=1s CMD true\n').map((problem) => problem.message)).toEqual([
      'Unknown instruction: USERR',
      'Unknown flag: intervall',
    ]);
  });

  it('builds in two stages on a pinned node 20 bookworm-slim', () => {
    const froms = DockerfileParser.parse(text).getFROMs();
    expect(froms.map((from) => [from.getImageName(), from.getBuildStage()])).toEqual([
      ['node', 'build'],
      ['node', 'runtime'],
    ]);
    for (const from of froms) expect(from.getImageTag()).toMatch(/^20\.\d+-bookworm-slim$/);
  });

  it('builds the softphone and the compiled server in the build stage and copies only their output over', () => {
    expect(stage('build')).toContainEqual(['RUN', 'npm run build']);
    expect(packageJson.scripts.build).toBe('npm run build:softphone && npm run build:server');
    expect(stage('runtime')).toContainEqual(['COPY', '/app/softphone/dist ./softphone/dist']);
    expect(stage('runtime')).toContainEqual(['COPY', '/app/dist ./dist']);
  });

  it('installs production dependencies only at run time, and runs as a user other than root', () => {
    const runtime = stage('runtime');
    expect(runtime.some(([keyword, args]) => keyword === 'RUN' && /^npm ci --omit=dev\b/.test(args))).toBe(true);
    const users = runtime.filter(([keyword]) => keyword === 'USER').map(([, args]) => args);
    expect(users.at(-1)).toBe('node');
  });

  it('checks health on /readyz and starts the compiled main.ts', () => {
    const runtime = stage('runtime');
    expect(runtime.find(([keyword]) => keyword === 'HEALTHCHECK')?.[1]).toMatch(/http:\/\/127\.0\.0\.1:8080\/readyz/);
    expect(runtime.find(([keyword]) => keyword === 'CMD')?.[1]).toBe('["node", "dist/main.js"]');
  });

  // The image runs JavaScript: no loader on its command line, as `npm start` runs the same file.
  it('starts the app as `npm start` does', () => {
    expect(packageJson.scripts.start).toBe('exec node dist/main.js');
  });
});

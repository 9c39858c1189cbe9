/**
 * infra/caddy/Caddyfile, validated by Caddy itself (Debian's caddy: `caddy validate` loads the config, certificates
 * included, without serving) with a throwaway certificate where compose mounts the operator's, and read back as
 * Caddy's JSON to check it sends HTTPS to the api and WSS (8443) to drachtio-server's WebSocket.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, missingServer } from '../harness/external.ts';

const CADDYFILE = fileURLToPath(new URL('../../infra/caddy/Caddyfile', import.meta.url));
const DOMAIN = 'dialo.example.org';
const caddy = await findOnPath('caddy');
if (caddy === undefined) missingServer('Caddyfile validation', 'caddy (Debian package caddy) is not on PATH');

describe.skipIf(caddy === undefined)('infra/caddy/Caddyfile', () => {
  let folder: string;
  let config: string;
  const run = (command: 'validate' | 'adapt', file: string) =>
    spawnSync(caddy!, [command, '--config', file, '--adapter', 'caddyfile'], {
      env: { PATH: process.env.PATH ?? '', HOME: folder, DIALO_DOMAIN: DOMAIN },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dialo-caddy-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${DOMAIN}`,
        '-keyout',
        join(folder, 'privkey.pem'),
        '-out',
        join(folder, 'fullchain.pem'),
      ],
      {
        stdio: 'ignore',
      },
    );
    // Only where the certificate is changes: compose mounts TLS_CERT_DIR at /certs.
    config = join(folder, 'Caddyfile');
    await writeFile(config, (await readFile(CADDYFILE, 'utf8')).replaceAll('/certs/', `${folder}/`));
  });
  afterAll(async () => rm(folder, { recursive: true, force: true }));

  it('is a valid configuration, certificates loaded, and Caddy refuses a broken one', async () => {
    const valid = run('validate', config);
    expect(valid.stdout + valid.stderr).toContain('Valid configuration');
    expect(valid.status).toBe(0);
    const broken = join(folder, 'Broken');
    await writeFile(broken, (await readFile(config, 'utf8')).replace('reverse_proxy api:8080', 'reverse_proxyy api:8080'));
    expect(run('validate', broken).status).not.toBe(0);
  });

  it('sends HTTPS on 443 to the api and WSS on 8443 to drachtio-server, both with the operator certificate', () => {
    const adapted = JSON.parse(run('adapt', config).stdout) as {
      apps: {
        http: {
          servers: Record<
            string,
            { listen: string[]; routes: { match: { host: string[] }[]; handle: { routes: { handle: { upstreams: { dial: string }[] }[] }[] }[] }[] }
          >;
        };
        tls: { certificates: { load_files: { certificate: string; key: string }[] } };
      };
    };
    const upstreams = Object.values(adapted.apps.http.servers).map((server) => [
      server.listen,
      server.routes.map((route) => [route.match[0]!.host, route.handle[0]!.routes[0]!.handle[0]!.upstreams[0]!.dial]),
    ]);
    expect(upstreams).toEqual([
      [[':443'], [[[DOMAIN], 'api:8080']]],
      [[':8443'], [[[DOMAIN], 'drachtio:8088']]],
    ]);
    expect(adapted.apps.tls.certificates.load_files).toEqual([
      expect.objectContaining({ certificate: `${folder}/fullchain.pem`, key: `${folder}/privkey.pem` }),
    ]);
  });
});

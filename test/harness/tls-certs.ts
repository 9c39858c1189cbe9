/**
 * A certificate authority and certificates signed by it, made with the openssl CLI for one suite, so that TLS suites
 * need no committed keys: each leaf names 127.0.0.1 and localhost (CN and subjectAltName).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  /** The CA's certificate, PEM: what a peer that trusts this CA is given. */
  readonly caFile: string;
  /** A key and a certificate signed by this CA for `name`. */
  issue(name: string): Promise<{ readonly certFile: string; readonly keyFile: string }>;
}

export interface TestCas {
  /** A CA named `name` in the suite's folder. */
  ca(name: string): Promise<TestCa>;
  remove(): Promise<void>;
}

export async function testCertificates(): Promise<TestCas> {
  const folder = await mkdtemp(join(tmpdir(), 'dialo-tls-'));
  const extensions = join(folder, 'leaf.ext');
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  return {
    async ca(name) {
      const caKey = join(folder, `${name}-ca.key`);
      const caFile = join(folder, `${name}-ca.pem`);
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${name} test CA`]);
      return {
        caFile,
        async issue(leaf) {
          const [keyFile, request, certFile] = ['key', 'csr', 'pem'].map((ext) => join(folder, `${name}-${leaf}.${ext}`)) as [string, string, string];
          await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', request, '-subj', '/CN=127.0.0.1']);
          await run('openssl', [
            'x509',
            '-req',
            '-in',
            request,
            '-CA',
            caFile,
            '-CAkey',
            caKey,
            '-CAcreateserial',
            '-out',
            certFile,
            '-days',
            '2',
            '-extfile',
            extensions,
          ]);
          return { certFile, keyFile };
        },
      };
    },
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

/**
 * A browser's side of Web Push, for tests: a subscription's keys as a browser makes them (P-256 + a 16-byte auth
 * secret), and a push-service stand-in on loopback HTTPS that does what a real one does with a push: it checks the
 * VAPID JWT (RFC 8292: ES256 over the public key in `k`, `aud` the endpoint's origin, `exp` within 24 hours, `sub`)
 * and, as the browser would, decrypts the aes128gcm body (RFC 8291, RFC 8188) with the subscription's private key.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificates, type TestCas } from './tls-certs.ts';

/** A browser's subscription: what it sends the server, and the private half only the browser holds. */
export interface BrowserSubscription {
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
  readonly ecdh: ECDH;
}

export function browserSubscription(endpoint: string): BrowserSubscription {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint, p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url'), ecdh };
}

/** One push as the stand-in received it, checked and decrypted. */
export interface ReceivedPush {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly jwt: { readonly header: Record<string, unknown>; readonly claims: { aud: string; exp: number; sub: string } };
  /** The VAPID public key the JWT was verified with (`k`). */
  readonly vapidKey: string;
  readonly plaintext: string;
}

export interface PushServiceStandIn {
  /** `https://127.0.0.1:<port>`: endpoints under it reach the stand-in. */
  readonly origin: string;
  /** The CA its certificate is signed by (PEM), for the sender's https.Agent. */
  readonly ca: string;
  readonly received: ReceivedPush[];
  /** Pushes refused (a bad JWT, a body that does not decrypt), with why. */
  readonly refused: string[];
  /**
   * Registers a subscription the stand-in can decrypt for, bound to the VAPID public key the browser subscribed with
   * (a push signed by another key is refused 403, RFC 8292 §4.2); `status` is what it answers a good push (201, or
   * 404/410 for gone).
   */
  subscribe(path: string, applicationServerKey: string, status?: number): BrowserSubscription;
  close(): Promise<void>;
}

function verifyVapid(authorization: string | undefined, origin: string): { jwt: ReceivedPush['jwt']; vapidKey: string } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (match === null) throw new Error(`no vapid authorization: ${authorization}`);
  const [, token, key] = match as unknown as [string, string, string];
  const [headerPart, claimsPart, signaturePart] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
  if (header.alg !== 'ES256') throw new Error(`alg ${String(header.alg)}`);
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const signed = verify(
    'sha256',
    Buffer.from(`${headerPart}.${claimsPart}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!signed) throw new Error('the JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) throw new Error(`aud ${claims.aud}, not ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} not within 24 hours`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
  return { jwt: { header, claims }, vapidKey: key };
}

/** RFC 8291 §3.4 and RFC 8188 §2: the record's salt, the sender's key, then one record. */
export function decryptAes128gcm(body: Buffer, subscription: BrowserSubscription): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const senderKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const shared = subscription.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), subscription.ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, Buffer.from(subscription.auth, 'base64url'), keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then any zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

export async function startPushService(): Promise<PushServiceStandIn> {
  const cas: TestCas = await testCertificates();
  const ca = await cas.ca('push');
  const leaf = await ca.issue('push-service');
  const subscriptions = new Map<string, { subscription: BrowserSubscription; applicationServerKey: string; status: number }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let origin = '';
  const server: Server = createServer({ cert: await readFile(leaf.certFile), key: await readFile(leaf.keyFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      const known = subscriptions.get(path);
      try {
        if (request.method !== 'POST' || known === undefined) throw new Error(`${request.method} ${path}: no such subscription`);
        const { jwt, vapidKey } = verifyVapid(request.headers.authorization, origin);
        if (vapidKey !== known.applicationServerKey) {
          refused.push('signed by a key the subscription is not bound to');
          response.writeHead(403).end();
          return;
        }
        if (request.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${request.headers['content-encoding']}`);
        const plaintext = decryptAes128gcm(Buffer.concat(chunks), known.subscription);
        received.push({ path, headers: request.headers, jwt, vapidKey, plaintext });
        response.writeHead(known.status).end();
      } catch (error) {
        refused.push((error as Error).message);
        response.writeHead(400).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    ca: await readFile(ca.caFile, 'utf8'),
    received,
    refused,
    subscribe(path, applicationServerKey, status = 201) {
      const subscription = browserSubscription(`${origin}${path}`);
      subscriptions.set(path, { subscription, applicationServerKey, status });
      return subscription;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cas.remove();
    },
  };
}

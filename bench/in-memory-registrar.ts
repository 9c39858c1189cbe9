/**
 * The reference a registrar is measured against: drachtio-server plus the least a digest registrar can do in
 * drachtio-srf. Credentials (MD5 HA1s, as the app challenges by default) and bindings live in Maps, nonces are random and remembered in a Set, and there is
 * no database, no logging and no metrics. It parses and checks digests with the app's own functions, so the
 * difference from Dialo is everything else: credential lookup, the location store, and the steps around them.
 */
import { randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import { ha1 } from '../core/accounts/sip-credentials.ts';
import { digestChallenge, digestResponseMatches, parseDigestCredentials } from '../signaling/auth/digest.ts';

export interface InMemoryRegistrar {
  stop(): void;
}

/** Users u0..u{users-1} with password "secret", as bench/sip-load.ts creates them in the database. */
export async function startInMemoryRegistrar(admin: { host: string; port: number; secret: string }, realm: string, users: number): Promise<InMemoryRegistrar> {
  const ha1s = new Map<string, string>();
  for (let i = 0; i < users; i++) ha1s.set(`u${i}`, ha1('MD5', `u${i}`, realm, 'secret'));
  const nonces = new Set<string>();
  const bindings = new Map<string, { contact: string; expiresAt: number }>();
  const srf = new Srf();
  srf.use('register', (req, res) => {
    const challenge = () => {
      const nonce = randomBytes(12).toString('base64url');
      nonces.add(nonce);
      res.send(401, { headers: { 'WWW-Authenticate': digestChallenge({ realm, nonce, algorithm: 'MD5', stale: false }) } });
    };
    if (!req.has('Authorization')) return challenge();
    const credentials = parseDigestCredentials(req.get('Authorization'));
    const stored = ha1s.get(credentials.username);
    if (!nonces.delete(credentials.nonce)) return challenge();
    if (stored === undefined || !digestResponseMatches(credentials, 'REGISTER', stored)) return res.send(403);
    const contact = req.getParsedHeader('Contact')[0]?.uri ?? '';
    const expires = Number(req.get('Expires') || 600);
    bindings.set(credentials.username, { contact, expiresAt: Date.now() + expires * 1000 });
    res.send(200, { headers: { Contact: `<${contact}>;expires=${expires}` } });
  });

  const connected = new Promise<void>((resolve) => srf.on('connect', () => resolve()));
  srf.connect(admin);
  await connected;
  return { stop: () => srf.disconnect() };
}

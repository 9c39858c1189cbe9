/**
 * Nonces the server issued and expires (RFC 7616 §3.3, §5.4). A nonce is `issued-at . random . MAC`, so any
 * signaling node holding the secret can tell one of ours from a forged one without shared state. Replays are
 * caught by remembering the highest nonce count seen per nonce until the nonce expires (per process: a replay
 * sent to another node still needs the password-derived response for a fresh nonce from that node).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type NonceVerdict = 'fresh' | 'stale' | 'replayed' | 'forged';

export class NonceIssuer {
  readonly #seen = new Map<string, { nc: number; expiresAt: number }>();

  constructor(
    private readonly secret: string,
    readonly ttlMs: number,
  ) {}

  #mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url').slice(0, 22);
  }

  issue(now: number): string {
    const body = `${now.toString(36)}.${randomBytes(9).toString('base64url')}`;
    return `${body}.${this.#mac(body)}`;
  }

  /**
   * Checks a nonce and its count. Call only after the digest response matched, so that `stale` and `replayed`
   * mean "right password, ask again with a fresh nonce" (RFC 7616 stale=true).
   */
  check(nonce: string, nc: number, now: number): NonceVerdict {
    if (!this.isOurs(nonce)) return 'forged';
    const issuedAt = Number.parseInt(nonce.split('.')[0] ?? '', 36);
    if (!Number.isFinite(issuedAt) || now - issuedAt > this.ttlMs || issuedAt > now + 1000) return 'stale';
    const seen = this.#seen.get(nonce);
    if (seen !== undefined && nc <= seen.nc) return 'replayed';
    this.#seen.set(nonce, { nc, expiresAt: issuedAt + this.ttlMs });
    return 'fresh';
  }

  /** Whether the nonce is ours at all (checked before any database work). */
  isOurs(nonce: string): boolean {
    const last = nonce.lastIndexOf('.');
    if (last < 0) return false;
    const mac = Buffer.from(nonce.slice(last + 1));
    const expected = Buffer.from(this.#mac(nonce.slice(0, last)));
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }

  sweep(now: number): void {
    for (const [nonce, seen] of this.#seen) if (seen.expiresAt < now) this.#seen.delete(nonce);
  }
}

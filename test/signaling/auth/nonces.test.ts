import { describe, expect, it } from 'vitest';
import { NonceIssuer } from '../../../signaling/auth/nonces.ts';

describe('nonces', () => {
  const t0 = 1_800_000_000_000;

  it('accepts a nonce it issued once per increasing nonce count, and refuses replays', () => {
    const issuer = new NonceIssuer('s'.repeat(32), 60_000);
    const nonce = issuer.issue(t0);
    expect(issuer.check(nonce, 1, t0 + 10)).toBe('fresh');
    expect(issuer.check(nonce, 1, t0 + 20)).toBe('replayed');
    expect(issuer.check(nonce, 2, t0 + 30)).toBe('fresh');
    expect(issuer.check(nonce, 2, t0 + 40)).toBe('replayed');
  });

  it('calls a nonce stale after its lifetime', () => {
    const issuer = new NonceIssuer('s'.repeat(32), 60_000);
    const nonce = issuer.issue(t0);
    expect(issuer.check(nonce, 1, t0 + 60_001)).toBe('stale');
  });

  it('knows a nonce from another secret or a tampered one as forged', () => {
    const ours = new NonceIssuer('s'.repeat(32), 60_000);
    const theirs = new NonceIssuer('t'.repeat(32), 60_000);
    const nonce = theirs.issue(t0);
    expect(ours.isOurs(nonce)).toBe(false);
    expect(ours.check(nonce, 1, t0)).toBe('forged');
    const mine = ours.issue(t0);
    const tampered = `${(t0 + 3_600_000).toString(36)}${mine.slice(mine.indexOf('.'))}`;
    expect(ours.check(tampered, 1, t0)).toBe('forged');
    expect(ours.isOurs('no-dots-at-all')).toBe(false);
  });

  it('forgets nonce counts once nonces expire', () => {
    const issuer = new NonceIssuer('s'.repeat(32), 1000);
    const nonce = issuer.issue(t0);
    issuer.check(nonce, 5, t0);
    issuer.sweep(t0 + 5000);
    // after expiry the nonce is stale whatever its count: the sweep loses nothing that mattered
    expect(issuer.check(nonce, 1, t0 + 5000)).toBe('stale');
  });
});

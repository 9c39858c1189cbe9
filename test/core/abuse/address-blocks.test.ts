import { describe, expect, it } from 'vitest';
import { AddressBlocks, StrikeCounter } from '../../../core/abuse/address-blocks.ts';
import { webSocketProxies } from '../../../core/abuse/web-socket-proxies.ts';

describe('strike counter', () => {
  const limits = { maxStrikes: 3, windowMs: 10_000, blockMs: 60_000 };

  it('blocks a key after maxStrikes within the window, until the block ends', () => {
    const strikes = new StrikeCounter(limits);
    expect(strikes.strike('10.0.0.1', 0)).toBe(false);
    expect(strikes.strike('10.0.0.1', 1000)).toBe(false);
    expect(strikes.isBlocked('10.0.0.1', 1500)).toBe(false);
    expect(strikes.strike('10.0.0.1', 2000)).toBe(true);
    expect(strikes.isBlocked('10.0.0.1', 2001)).toBe(true);
    expect(strikes.isBlocked('10.0.0.2', 2001)).toBe(false);
    expect(strikes.isBlocked('10.0.0.1', 62_001)).toBe(false);
  });

  it('forgets strikes older than the window', () => {
    const strikes = new StrikeCounter(limits);
    strikes.strike('a', 0);
    strikes.strike('a', 1000);
    expect(strikes.strike('a', 20_000)).toBe(false);
    expect(strikes.isBlocked('a', 20_001)).toBe(false);
  });
});

describe('address blocks', () => {
  const limits = { maxStrikes: 3, maxStrikesPerAddress: 5, windowMs: 10_000, blockMs: 60_000 };

  it('blocks one address and key (a username, a port) first; the address’s other keys still get through', () => {
    const blocks = new AddressBlocks(limits);
    expect(blocks.strike('10.0.0.1', 'alice', 0)).toBeUndefined();
    expect(blocks.strike('10.0.0.1', 'alice', 1)).toBeUndefined();
    expect(blocks.strike('10.0.0.1', 'alice', 2)).toBe('key');
    expect(blocks.isBlocked('10.0.0.1', 'alice', 3)).toBe(true);
    expect(blocks.isBlocked('10.0.0.1', 'bob', 3)).toBe(false);
    expect(blocks.isAddressBlocked('10.0.0.1', 3)).toBe(false);
    expect(blocks.isBlocked('10.0.0.2', 'alice', 3)).toBe(false);
    expect(blocks.isBlocked('10.0.0.1', 'alice', 60_003)).toBe(false);
  });

  it('blocks the whole address once strikes across keys (or naming none) reach its own limit', () => {
    const blocks = new AddressBlocks(limits);
    for (const [i, key] of ['5060', '5062', '5064', undefined].entries()) expect(blocks.strike('10.0.0.1', key, i)).toBeUndefined();
    expect(blocks.strike('10.0.0.1', '5066', 4)).toBe('address');
    expect(blocks.isAddressBlocked('10.0.0.1', 5)).toBe(true);
    expect(blocks.isBlocked('10.0.0.1', 'anyone', 5)).toBe(true);
    expect(blocks.isAddressBlocked('10.0.0.1', 60_005)).toBe(false);
  });

  it("never blocks a shared address (a WebSocket proxy's) as a whole; its keys still are", () => {
    const blocks = new AddressBlocks(limits);
    for (const [i, key] of ['tab-1', 'tab-2', 'tab-3', 'tab-4', undefined].entries()) expect(blocks.strike('172.30.0.9', key, i, true)).toBeUndefined();
    expect(blocks.isAddressBlocked('172.30.0.9', 5, true)).toBe(false);
    expect(blocks.strike('172.30.0.9', 'bob', 6, true)).toBeUndefined();
    expect(blocks.strike('172.30.0.9', 'bob', 7, true)).toBeUndefined();
    expect(blocks.strike('172.30.0.9', 'bob', 8, true)).toBe('key');
    expect(blocks.isBlocked('172.30.0.9', 'bob', 9, true)).toBe(true);
    expect(blocks.isBlocked('172.30.0.9', 'alice', 9, true)).toBe(false);
  });
});

describe('WebSocket proxies', () => {
  it('are their addresses or CIDRs, over ws and wss only', () => {
    const proxied = webSocketProxies(['172.30.0.0/24', '2001:db8::7']);
    expect(proxied('172.30.0.9', 'wss')).toBe(true);
    expect(proxied('172.30.0.9', 'ws')).toBe(true);
    expect(proxied('2001:db8::7', 'ws')).toBe(true);
    expect(proxied('172.30.0.9', 'udp')).toBe(false);
    expect(proxied('172.30.0.9', undefined)).toBe(false);
    expect(proxied('172.30.1.9', 'wss')).toBe(false);
    expect(webSocketProxies([])('172.30.0.9', 'wss')).toBe(false);
  });
});

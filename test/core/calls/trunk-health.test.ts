// Trunk health (core/calls/trunk-health.ts): the per-trunk state machine the OPTIONS pinger feeds, without drachtio.
import { describe, expect, it } from 'vitest';
import { afterPing, initialHealth, pingResult, TrunkHealthBoard, usableTrunks, type PingResult } from '../../../core/calls/trunk-health.ts';
import type { Trunk } from '../../../core/calls/trunks.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const config = { intervalMs: 1000, failuresBeforeDown: 3 };

function trunk(id: number): Trunk {
  return {
    id,
    name: `carrier-${id}`,
    priority: id,
    outbound_uri: `sip:127.0.0.${id}:5060`,
    auth_username: null,
    auth_password: null,
    inbound_sources: [],
    enabled: true,
    created_at: T0,
    number_format: 'e164',
    tech_prefix: null,
    caller_id_header: 'from',
    caller_id_withheld: false,
    codec_order: null,
    register_uri: null,
    register_username: null,
    register_password: null,
    register_expires: 3600,
    register_did_source: 'to',
    tls_ca_pem: null,
    tls_pin_sha256: null,
    media_encryption: 'none',
  };
}

describe('trunk health', () => {
  it.each([
    [200, 'answered'],
    // RFC 3261 §11: any final response shows the carrier's SIP stack is alive, even one that refuses OPTIONS.
    [403, 'answered'],
    [404, 'answered'],
    [405, 'answered'],
    [407, 'answered'],
    [501, 'answered'],
    [408, 'unavailable'],
    [503, 'unavailable'],
  ] as const)('a final %i to OPTIONS counts as %s', (status, result) => {
    expect(pingResult(status)).toBe(result);
  });

  it('no response at all is a timeout, or the transport error it was', () => {
    expect(pingResult(undefined)).toBe('timeout');
    expect(pingResult(undefined, 'error')).toBe('error');
  });

  it('starts unknown, goes up on the first answer, and down only at the Nth failure in a row', () => {
    const start = initialHealth(T0);
    expect(start).toEqual({ state: 'unknown', since: T0, consecutiveFailures: 0, lastStatus: null, lastResult: null, lastPingAt: null });
    const up = afterPing(start, { result: 'answered', status: 200 }, config, at(1));
    expect(up).toMatchObject({ state: 'up', since: at(1), consecutiveFailures: 0, lastStatus: 200, lastResult: 'answered', lastPingAt: at(1) });

    const failures: PingResult[] = ['timeout', 'unavailable', 'error'];
    let health = up;
    failures.forEach((result, i) => {
      health = afterPing(health, { result, ...(result === 'unavailable' ? { status: 503 } : {}) }, config, at(2 + i));
      expect(health.consecutiveFailures).toBe(i + 1);
      expect(health.state).toBe(i < 2 ? 'up' : 'down');
    });
    expect(health).toMatchObject({ state: 'down', since: at(4), lastStatus: null, lastResult: 'error', lastPingAt: at(4) });

    // More failures keep it down since the same moment; one answer brings it back.
    health = afterPing(health, { result: 'timeout' }, config, at(5));
    expect(health).toMatchObject({ state: 'down', since: at(4), consecutiveFailures: 4 });
    health = afterPing(health, { result: 'answered', status: 404 }, config, at(6));
    expect(health).toMatchObject({ state: 'up', since: at(6), consecutiveFailures: 0, lastStatus: 404 });
  });

  it('an answer between failures starts the count again', () => {
    let health = initialHealth(T0);
    for (const result of ['timeout', 'timeout', 'answered', 'timeout', 'timeout'] as const) health = afterPing(health, { result }, config, T0);
    expect(health).toMatchObject({ state: 'up', consecutiveFailures: 2 });
  });

  it('a trunk never answering goes from unknown straight to down', () => {
    let health = initialHealth(T0);
    for (let i = 1; i <= 3; i++) health = afterPing(health, { result: 'timeout' }, config, at(i));
    expect(health).toMatchObject({ state: 'down', since: at(3), consecutiveFailures: 3 });
  });

  it('the board keeps each trunk apart, tells changes, and forgets trunks no longer pinged', () => {
    const board = new TrunkHealthBoard({ intervalMs: 1000, failuresBeforeDown: 1 });
    expect(board.get(1, T0).state).toBe('unknown');
    const { before, after } = board.record(1, { result: 'timeout' }, at(1));
    expect([before.state, after.state]).toEqual(['unknown', 'down']);
    board.record(2, { result: 'answered', status: 200 }, at(1));
    expect([board.isDown(1), board.isDown(2), board.isDown(3)]).toEqual([true, false, false]);
    expect(board.retain(new Set([2]))).toEqual([1]);
    expect(board.get(1, at(2))).toMatchObject({ state: 'unknown', since: at(2) });
    expect(board.get(2).state).toBe('up');
  });

  it('routing skips trunks that are down, in order, but tries them all when every one is down', () => {
    const board = new TrunkHealthBoard({ intervalMs: 1000, failuresBeforeDown: 1 });
    const trunks = [trunk(1), trunk(2), trunk(3)];
    expect(usableTrunks(trunks, undefined)).toEqual(trunks);
    expect(usableTrunks(trunks, board)).toEqual(trunks);
    board.record(1, { result: 'timeout' });
    expect(usableTrunks(trunks, board).map((t) => t.id)).toEqual([2, 3]);
    board.record(3, { result: 'unavailable', status: 503 });
    expect(usableTrunks(trunks, board).map((t) => t.id)).toEqual([2]);
    board.record(2, { result: 'error' });
    expect(usableTrunks(trunks, board).map((t) => t.id)).toEqual([1, 2, 3]);
    board.record(1, { result: 'answered', status: 200 });
    expect(usableTrunks(trunks, board).map((t) => t.id)).toEqual([1]);
  });
});

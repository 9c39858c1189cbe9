// Registration trunks (core/calls/trunk-registration.ts): the state machine the registrar loop feeds, without SIP.
import { describe, expect, it } from 'vitest';
import {
  afterRegister,
  backoffMs,
  grantedSeconds,
  inboundDid,
  initialRegistration,
  nextRegisterAt,
  registering,
  registrationFailed,
  TrunkRegistrationBoard,
} from '../../../core/calls/trunk-registration.ts';
import type { Trunk } from '../../../core/calls/trunks.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const backoff = { retryMinMs: 1000, retryMaxMs: 8000 };

describe('trunk registration', () => {
  it('registers for the granted time and refreshes at half of it', () => {
    const sent = registering(initialRegistration(T0), T0);
    expect(nextRegisterAt(initialRegistration(T0), T0)).toEqual(T0);
    expect(nextRegisterAt(sent, T0)).toBeUndefined();
    const registered = afterRegister(sent, { status: 200, grantedSeconds: 4 }, backoff, at(1));
    expect(registered).toEqual({ kind: 'registered', since: at(1), until: at(5), refreshAt: at(3), status: 200 });
    expect(nextRegisterAt(registered, at(1))).toEqual(at(3));
    // A refresh keeps it registered, and `since`.
    expect(registering(registered, at(3))).toBe(registered);
    const refreshed = afterRegister(registering(registered, at(3)), { status: 200, grantedSeconds: 3600 }, backoff, at(3));
    expect(refreshed).toMatchObject({ kind: 'registered', since: at(1), until: at(3603) });
    expect(registrationFailed(refreshed)).toBe(false);
  });

  it('honours the registrar shortening the time (RFC 3261 §10.2.4): contact expires, then Expires, then what was asked', () => {
    expect(grantedSeconds(3600, { contactExpires: '4', expires: '60' })).toBe(4);
    expect(grantedSeconds(3600, { expires: '60' })).toBe(60);
    expect(grantedSeconds(3600, { contactExpires: 'soon' })).toBe(3600);
    expect(grantedSeconds(3600, {})).toBe(3600);
  });

  it('fails on a refusal or no answer and retries with a doubling backoff, capped', () => {
    expect([1, 2, 3, 4, 5, 10].map((failures) => backoffMs(failures, backoff))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    let state = afterRegister(registering(initialRegistration(T0), T0), { status: 403 }, backoff, at(0));
    expect(state).toEqual({ kind: 'failed', since: at(0), status: 403, retryAt: at(1), failures: 1 });
    expect(registrationFailed(state)).toBe(true);
    state = afterRegister(registering(state, at(1)), { status: undefined }, backoff, at(2));
    expect(state).toEqual({ kind: 'failed', since: at(2), status: null, retryAt: at(4), failures: 2 });
    // Registered again: the count starts over.
    state = afterRegister(registering(state, at(4)), { status: 200, grantedSeconds: 60 }, backoff, at(4));
    expect(state.kind).toBe('registered');
    state = afterRegister(registering(state, at(34)), { status: 503 }, backoff, at(34));
    expect(state).toMatchObject({ kind: 'failed', failures: 1, retryAt: at(35) });
  });

  it('takes a 2xx granting nothing as a failure (the binding is gone)', () => {
    expect(afterRegister(initialRegistration(T0), { status: 200, grantedSeconds: 0 }, backoff, T0).kind).toBe('failed');
  });

  it('takes the DID from the Request-URI or To as the trunk says', () => {
    const trunk = (register_uri: string | null, register_did_source: 'to' | 'request-uri') => ({ register_uri, register_did_source }) as Trunk;
    const invite = { requestUser: 'reg-1-abc', toUser: '14155550100' };
    expect(inboundDid(trunk('sip:reg.example', 'to'), invite)).toBe('14155550100');
    expect(inboundDid(trunk('sip:reg.example', 'request-uri'), { ...invite, requestUser: '14155550100' })).toBe('14155550100');
    expect(inboundDid(trunk(null, 'to'), invite)).toBe('reg-1-abc');
  });

  it('finds the trunk of a contact and says which ones routing skips', () => {
    const board = new TrunkRegistrationBoard(backoff);
    board.set(1, { state: afterRegister(initialRegistration(T0), { status: 403 }, backoff, T0), contactUser: 'reg-1-a' });
    board.set(2, { state: initialRegistration(T0), contactUser: 'reg-2-b' });
    expect(board.trunkForContact('reg-2-b')).toBe(2);
    expect(board.trunkForContact('reg-3-c')).toBeUndefined();
    expect([board.isDown(1), board.isDown(2), board.isDown(3)]).toEqual([true, false, false]);
  });
});

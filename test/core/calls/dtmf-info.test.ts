import { describe, expect, it } from 'vitest';
import { readDtmfInfo } from '../../../core/calls/dtmf-info.ts';

const info = (contentType: string | undefined, body: string, infoPackage?: string) => readDtmfInfo({ contentType, body, infoPackage });

describe('reading a SIP INFO for DTMF', () => {
  it('reads application/dtmf-relay: the Signal key and its Duration', () => {
    expect(info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({ kind: 'dtmf', digits: '5', durationMs: 160 });
    expect(info('Application/DTMF-Relay; charset=utf-8', 'signal= #\nduration=250')).toEqual({ kind: 'dtmf', digits: '#', durationMs: 250 });
    expect(info('application/dtmf-relay', 'Signal=*')).toEqual({ kind: 'dtmf', digits: '*', durationMs: undefined });
  });

  it('takes every key 0-9 * # A-D, RFC 4733 event numbers 10-15 as * # A-D, and lower-case letters', () => {
    const read = (signal: string) => {
      const result = info('application/dtmf-relay', `Signal=${signal}`);
      return result.kind === 'dtmf' ? result.digits : result.kind;
    };
    expect([...'0123456789*#ABCD'].map(read).join('')).toBe('0123456789*#ABCD');
    expect(['10', '11', '12', '13', '14', '15', 'd'].map(read).join('')).toBe('*#ABCDD');
  });

  it('bounds a Duration nobody could mean (a 0 ms tone is not heard, an hour-long one holds the keys up)', () => {
    expect(info('application/dtmf-relay', 'Signal=1\r\nDuration=0')).toMatchObject({ durationMs: 40 });
    expect(info('application/dtmf-relay', 'Signal=1\r\nDuration=3600000')).toMatchObject({ durationMs: 5000 });
    expect(info('application/dtmf-relay', 'Signal=1\r\nDuration=soon')).toMatchObject({ durationMs: undefined });
  });

  it('reads application/dtmf: the key alone', () => {
    expect(info('application/dtmf', '9\r\n')).toEqual({ kind: 'dtmf', digits: '9', durationMs: undefined });
    expect(info('application/dtmf', '11')).toEqual({ kind: 'dtmf', digits: '#', durationMs: undefined });
  });

  it('refuses a DTMF body that names no key with 400', () => {
    for (const [type, body] of [
      ['application/dtmf-relay', 'Duration=160'],
      ['application/dtmf-relay', 'Signal=16'],
      ['application/dtmf-relay', 'Signal=55'],
      ['application/dtmf', 'E'],
      ['application/dtmf', ''],
    ] as const)
      expect(info(type, body), `${type} ${body}`).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('refuses another body with 415 and an Accept header naming the two DTMF types (RFC 3261 §21.4.13)', () => {
    expect(info('application/media_control+xml', '<media_control/>')).toEqual({
      kind: 'refused',
      status: 415,
      reason: 'Unsupported Media Type',
      headers: { Accept: 'application/dtmf-relay, application/dtmf' },
    });
  });

  it('refuses an Info Package with 469 and an empty Recv-Info: we take none (RFC 6086 §4.2.2), even one carrying DTMF', () => {
    expect(info('application/dtmf-relay', 'Signal=5', 'dtmf')).toEqual({
      kind: 'refused',
      status: 469,
      reason: 'Bad Info Package',
      headers: { 'Recv-Info': '' },
    });
  });

  it('takes an INFO with no body as nothing to carry (a keepalive), and a body without a type as malformed', () => {
    expect(info(undefined, '')).toEqual({ kind: 'empty' });
    expect(info(undefined, 'Signal=5')).toMatchObject({ kind: 'refused', status: 400 });
  });
});

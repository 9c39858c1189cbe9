// A trunk's dialling rules as the carrier sees them: the number's format, the caller ID headers, the codec order.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS_FROM, DEFAULT_DIALLING_RULES, dialString, diallingRulesProblem, formatNumber, orderCodecs } from '../../../core/calls/dial-string.ts';
import type { E164 } from '../../../core/numbers.ts';

const at = { scheme: 'sip', host: 'sbc.carrier.example' };
const US = '+14155550100' as E164;
const UK = '+442079460958' as E164;

describe('formatNumber', () => {
  it.each([
    [US, 'e164', '+14155550100'],
    [US, 'e164-no-plus', '14155550100'],
    [US, 'national', '4155550100'],
    [UK, 'e164', '+442079460958'],
    [UK, 'e164-no-plus', '442079460958'],
    [UK, 'national', '02079460958'],
    ['+4915112345678' as E164, 'national', '015112345678'],
  ] as const)('%s as %s is %s', (number, format, written) => {
    expect(formatNumber(number, format)).toBe(written);
  });
});

describe('dialString', () => {
  it('by default: the E.164 number, the caller in From, nothing else', () => {
    expect(dialString(US, '+14155550199', DEFAULT_DIALLING_RULES, at)).toEqual({
      user: '+14155550100',
      headers: { From: '<sip:+14155550199@sbc.carrier.example>' },
    });
  });

  it('puts the tech prefix before the number in its format, and writes the caller ID in that format without it', () => {
    const rules = { ...DEFAULT_DIALLING_RULES, number_format: 'national', tech_prefix: '0199' } as const;
    expect(dialString(UK, '+14155550199', rules, at)).toEqual({ user: '019902079460958', headers: { From: '<sip:4155550199@sbc.carrier.example>' } });
  });

  it('pai: the caller in P-Asserted-Identity as well as From', () => {
    const rules = { ...DEFAULT_DIALLING_RULES, number_format: 'e164-no-plus', caller_id_header: 'pai' } as const;
    expect(dialString(US, '+14155550199', rules, at).headers).toEqual({
      From: '<sip:14155550199@sbc.carrier.example>',
      'P-Asserted-Identity': '<sip:14155550199@sbc.carrier.example>',
    });
  });

  it('withheld: From anonymous, Privacy: id, the number in P-Asserted-Identity only', () => {
    const rules = { ...DEFAULT_DIALLING_RULES, caller_id_header: 'pai', caller_id_withheld: true } as const;
    expect(dialString(US, '+14155550199', rules, at).headers).toEqual({
      From: ANONYMOUS_FROM,
      Privacy: 'id',
      'P-Asserted-Identity': '<sip:+14155550199@sbc.carrier.example>',
    });
  });

  it('without a caller ID: no From (the SIP stack writes its own), no PAI; withheld still says so', () => {
    expect(dialString(US, undefined, DEFAULT_DIALLING_RULES, at).headers).toEqual({});
    const withheld = { ...DEFAULT_DIALLING_RULES, caller_id_header: 'pai', caller_id_withheld: true } as const;
    expect(dialString(US, undefined, withheld, at).headers).toEqual({ From: ANONYMOUS_FROM, Privacy: 'id' });
  });
});

describe('diallingRulesProblem', () => {
  it.each([
    [{}, undefined],
    [{ tech_prefix: '12345' }, undefined],
    [{ tech_prefix: '' }, 'tech prefix'],
    [{ tech_prefix: '12345678901' }, 'tech prefix'],
    [{ tech_prefix: '#12' }, 'tech prefix'],
    [{ number_format: 'tel' }, 'number format'],
    [{ caller_id_header: 'rpid' }, 'caller ID header'],
    [{ caller_id_withheld: true }, 'P-Asserted-Identity'],
    [{ caller_id_withheld: true, caller_id_header: 'pai' }, undefined],
    [{ codec_order: ['PCMU', 'PCMA', 'opus', 'G722'] }, undefined],
    [{ codec_order: ['PCMU', 'pcmu'] }, 'listed twice'],
    [{ codec_order: ['PCMU;x'] }, 'not a codec name'],
    [{ codec_order: Array.from({ length: 11 }, (_, index) => `C${index}`) }, 'at most 10'],
  ])('%j: %s', (change, problem) => {
    const found = diallingRulesProblem({ ...DEFAULT_DIALLING_RULES, ...(change as object) });
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('orderCodecs', () => {
  const offer = [
    'v=0',
    'o=- 1 1 IN IP4 192.0.2.1',
    's=-',
    'c=IN IP4 192.0.2.1',
    't=0 0',
    'm=audio 4000 RTP/AVP 0 8 111 101',
    'a=rtpmap:111 opus/48000/2',
    'a=rtpmap:101 telephone-event/8000',
    '',
  ];

  it('puts the listed codecs first in their order (static payload types known by number), the others after as they were', () => {
    const ordered = orderCodecs(offer.join('\r\n'), ['opus', 'PCMA']);
    expect(ordered.split('\r\n')[5]).toBe('m=audio 4000 RTP/AVP 111 8 0 101');
    expect(ordered.replace('111 8 0 101', '0 8 111 101')).toBe(offer.join('\r\n'));
  });

  it('ignores codecs the offer does not have, and leaves it alone without an order', () => {
    expect(orderCodecs(offer.join('\n'), ['G729', 'pcma']).split('\n')[5]).toBe('m=audio 4000 RTP/AVP 8 0 111 101');
    expect(orderCodecs(offer.join('\r\n'), null)).toBe(offer.join('\r\n'));
  });

  it('reorders only audio: a video section keeps its payload types', () => {
    const sdp = [...offer.slice(0, 8), 'm=video 4002 RTP/AVP 96 97', 'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 H264/90000', ''].join('\r\n');
    expect(orderCodecs(sdp, ['H264', 'PCMA']).split('\r\n')).toEqual(
      expect.arrayContaining(['m=audio 4000 RTP/AVP 8 0 111 101', 'm=video 4002 RTP/AVP 96 97']),
    );
  });
});

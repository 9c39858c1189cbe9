// A trunk's outbound URI (core/calls/trunk-uri.ts): the one parser for the operator's validation and for routing.
import { describe, expect, it } from 'vitest';
import { formatTrunkUri, parseTrunkUri } from '../../../core/calls/trunk-uri.ts';

describe('trunk URIs', () => {
  it.each([
    ['sip:sbc.carrier.example', { scheme: 'sip', host: 'sbc.carrier.example', port: undefined, transport: undefined }],
    ['sip:127.0.0.1:5080;transport=udp', { scheme: 'sip', host: '127.0.0.1', port: 5080, transport: 'udp' }],
    ['sip:sbc.carrier.example:5060;transport=TCP', { scheme: 'sip', host: 'sbc.carrier.example', port: 5060, transport: 'tcp' }],
    ['sips:sbc.carrier.example:5061;transport=tls', { scheme: 'sips', host: 'sbc.carrier.example', port: 5061, transport: 'tls' }],
    ['sip:[2001:db8::10]:5060;transport=udp', { scheme: 'sip', host: '[2001:db8::10]', port: 5060, transport: 'udp' }],
  ])('takes %s', (text, parts) => {
    expect(parseTrunkUri(text)).toEqual({ ok: true, uri: parts });
  });

  it('puts the number in the user part, keeping port and transport (the Request-URI), and leaves it out for the next hop', () => {
    const parsed = parseTrunkUri('sip:127.0.0.1:5080;transport=udp');
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(formatTrunkUri(parsed.uri, '+14155550100')).toBe('sip:+14155550100@127.0.0.1:5080;transport=udp');
    expect(formatTrunkUri(parsed.uri)).toBe('sip:127.0.0.1:5080;transport=udp');
  });

  it.each([
    ['sip:+14155550100@sbc.carrier.example', /no user part/],
    ['http://sbc.carrier.example', /not sip:host/],
    ['sip:sbc.carrier.example:0', /port 0/],
    ['sip:sbc.carrier.example:70000', /port 70000/],
    ['sip:sbc.carrier.example;transport=ws', /transport must be udp, tcp or tls/],
    ['sip:sbc.carrier.example;transport=', /transport must be/],
    ['sip:sbc.carrier.example;lr', /unsupported URI parameter lr/],
    ['sips:sbc.carrier.example;transport=udp', /sips: URI needs TLS/],
    ['sip:-bad-.example', /not sip:host/],
    ['sip:', /not sip:host/],
  ])('refuses %s, saying why', (text, why) => {
    const parsed = parseTrunkUri(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(why);
  });
});

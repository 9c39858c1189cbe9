// Which calls pass SDP straight through and which need a media server (signaling/media/).
import { describe, expect, it } from 'vitest';
import { mediaKindOf, mediaKindOfTransport } from '../../../core/media/media-kind.ts';
import type { MediaRelay } from '../../../core/media/media-relay.ts';
import { planMedia } from '../../../signaling/media/media-path.ts';

// Shapes as Chromium and sipp send them (trimmed to the lines that matter, with real-world ordering).
const BROWSER_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:k2Ze',
  'a=ice-pwd:u1bVqX2vQyRk1tYkQ3J1wqzd',
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  'a=setup:actpass',
  'a=mid:0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');
const PHONE_OFFER = [
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');
const SRTP_SDES_OFFER = PHONE_OFFER.replace('RTP/AVP', 'RTP/SAVP');

describe('media kind', () => {
  it('tells a browser offer from a SIP phone offer', () => {
    expect(mediaKindOf(BROWSER_OFFER)).toBe('webrtc');
    expect(mediaKindOf(PHONE_OFFER)).toBe('rtp');
    // SDES-SRTP desk phones are not WebRTC: no DTLS fingerprint, no TLS profile.
    expect(mediaKindOf(SRTP_SDES_OFFER)).toBe('rtp');
  });

  it('takes a WebSocket registration for a browser', () => {
    expect(mediaKindOfTransport('ws')).toBe('webrtc');
    expect(mediaKindOfTransport('wss')).toBe('webrtc');
    expect(mediaKindOfTransport('udp')).toBe('rtp');
    expect(mediaKindOfTransport('tcp')).toBe('rtp');
  });
});

describe('media plan', () => {
  it('passes SDP straight through between parties of one kind', async () => {
    for (const [offer, kind] of [
      [PHONE_OFFER, 'rtp'],
      [BROWSER_OFFER, 'webrtc'],
    ] as const) {
      const plan = await planMedia(undefined, offer, kind);
      expect(plan.ok).toBe(true);
      if (!plan.ok) continue;
      expect(plan.path.via).toBe('direct');
      expect(plan.path.calleeOffer).toBe(offer);
      expect(await plan.path.answerCaller('v=0 answer')).toBe('v=0 answer');
    }
  });

  it('refuses a browser-to-carrier call when no media server is configured', async () => {
    const plan = await planMedia(undefined, BROWSER_OFFER, 'rtp');
    expect(plan).toEqual({ ok: false, detail: expect.stringContaining('needs a media server') });
  });

  it('hands a mixed call to the media relay', async () => {
    const opened: string[] = [];
    const relay: MediaRelay = {
      async open(_offer, callerKind, calleeKind) {
        opened.push(`${callerKind}->${calleeKind}`);
        return { via: 'fs-1', calleeOffer: PHONE_OFFER, answerCaller: async () => BROWSER_OFFER, release: () => undefined };
      },
      echo: () => Promise.reject(new Error('not used here')),
    };
    const plan = await planMedia(relay, BROWSER_OFFER, 'rtp');
    expect(opened).toEqual(['webrtc->rtp']);
    expect(plan.ok && plan.path.via).toBe('fs-1');
    expect(plan.ok && plan.path.calleeOffer).toBe(PHONE_OFFER);
  });
});

describe('media plan with a failing media server', () => {
  it('reports the failure instead of throwing, so the call is refused cleanly', async () => {
    const relay: MediaRelay = { open: () => Promise.reject(new Error('no FreeSWITCH answers')), echo: () => Promise.reject(new Error('not used here')) };
    expect(await planMedia(relay, BROWSER_OFFER, 'rtp')).toEqual({ ok: false, detail: 'media server failed: no FreeSWITCH answers' });
  });
});

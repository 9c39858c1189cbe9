/**
 * Which kind of media an endpoint speaks, read off its SDP. Browsers only do WebRTC: ICE + DTLS-SRTP over the
 * `UDP/TLS/RTP/SAVPF` profile with a certificate fingerprint (RFC 8829 §5.2.1, RFC 8842). Carriers and desk
 * phones speak plain RTP (`RTP/AVP`). The two cannot meet without a media server in between. `sdes` is what a trunk
 * with SRTP keyed in the SDP (`RTP/SAVP`, `a=crypto`, RFC 4568) is offered: always through the media server, which
 * holds the keys; callers are never taken for it (an SDES offer from a desk phone reads as `rtp`).
 */
export type MediaKind = 'webrtc' | 'rtp' | 'sdes';

/**
 * @example
 * mediaKindOf('v=0\r\n...m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 AB:...') // 'webrtc'
 * mediaKindOf('v=0\r\n...m=audio 6000 RTP/AVP 0\r\n') // 'rtp'
 */
export function mediaKindOf(sdp: string): MediaKind {
  const audio = /^m=audio \d+(?:\/\d+)? (\S+)/m.exec(sdp);
  const profile = audio?.[1] ?? '';
  return profile.includes('TLS') || /^a=fingerprint:/m.test(sdp) ? 'webrtc' : 'rtp';
}

/** A registered device's kind from how it reached us: only browsers register over WebSocket. */
export function mediaKindOfTransport(transport: string): MediaKind {
  return transport === 'ws' || transport === 'wss' ? 'webrtc' : 'rtp';
}

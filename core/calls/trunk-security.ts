/**
 * A TLS trunk's own trust (a CA, a certificate pin) and a trunk's media encryption (SDES-SRTP, RFC 4568): what an
 * operator may store, what a carrier's certificate must be, and what its answer must carry. Decided here; the TLS
 * handshake that shows the certificate is signaling/trunk-tls-check.ts's, the SRTP offer media-control's.
 */
import { X509Certificate } from 'node:crypto';
import type { TrunkMediaEncryption } from '../../db/schema.ts';
import type { TrunkUri } from './trunk-uri.ts';

export const MEDIA_ENCRYPTIONS: readonly TrunkMediaEncryption[] = ['none', 'sdes'];

export interface TrunkSecurity {
  readonly tls_ca_pem: string | null;
  readonly tls_pin_sha256: string | null;
  readonly media_encryption: TrunkMediaEncryption;
}

export const DEFAULT_TRUNK_SECURITY: TrunkSecurity = { tls_ca_pem: null, tls_pin_sha256: null, media_encryption: 'none' };

/** SIP over TLS: a `sips:` URI or `;transport=tls`. */
export function isTlsUri(uri: TrunkUri): boolean {
  return uri.scheme === 'sips' || uri.transport === 'tls';
}

/**
 * A SHA-256 fingerprint as Node's `fingerprint256` writes it (`AB:CD:...`), from hex with or without colons in any case;
 * undefined when it is not 32 bytes of hex.
 * @example
 * normalisePin('ab cd ...') // undefined (spaces are not separators)
 * normalisePin('abcd...')   // 'AB:CD:...'
 */
export function normalisePin(text: string): string | undefined {
  const hex = text.trim().replaceAll(':', '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** What is wrong with a trunk's security settings for its outbound URI (for the operator's 400), or undefined. */
export function trunkSecurityProblem(security: TrunkSecurity, outbound: TrunkUri | undefined): string | undefined {
  if (!MEDIA_ENCRYPTIONS.includes(security.media_encryption)) return `media encryption is one of ${MEDIA_ENCRYPTIONS.join(', ')}`;
  const tls = outbound !== undefined && isTlsUri(outbound);
  if (checksPeerCertificate(security) && !tls) return 'a TLS CA or pin needs a TLS outbound URI (sips: or ;transport=tls)';
  // SDES keys travel in the SDP: over plain SIP anyone on the path could read them (RFC 4568 §8.3).
  if (security.media_encryption === 'sdes' && !tls)
    return 'media encryption sdes needs a TLS outbound URI (sips: or ;transport=tls): its keys travel in the SDP';
  if (security.tls_pin_sha256 !== null && normalisePin(security.tls_pin_sha256) === undefined)
    return 'the TLS pin is the certificate SHA-256 fingerprint: 64 hex digits, colons allowed';
  if (security.tls_ca_pem !== null) {
    try {
      new X509Certificate(security.tls_ca_pem);
    } catch {
      return 'the TLS CA is not a PEM certificate';
    }
  }
  return undefined;
}

/** What a TLS handshake with the carrier showed: Node's verdict against the trunk's CA (host name included) and the leaf's fingerprint. */
export interface PeerCertificate {
  /** Undefined: the chain and the host name checked out against the trunk's CA. */
  readonly authorizationError: string | undefined;
  /** `AB:CD:...`, Node's `fingerprint256`. */
  readonly fingerprint256: string;
}

/**
 * Why the carrier's certificate is not good enough for this trunk, or undefined. With a CA, Node's verification against
 * it must have passed; with a pin, the fingerprint must match, whichever CA signed it.
 */
export function peerCertificateProblem(security: Pick<TrunkSecurity, 'tls_ca_pem' | 'tls_pin_sha256'>, peer: PeerCertificate): string | undefined {
  if (security.tls_ca_pem !== null && peer.authorizationError !== undefined) return `certificate not trusted by the trunk's CA: ${peer.authorizationError}`;
  if (security.tls_pin_sha256 !== null && peer.fingerprint256 !== normalisePin(security.tls_pin_sha256)) return 'certificate does not match the trunk pin';
  return undefined;
}

/** Whether calls on this trunk check the carrier's certificate themselves before dialling. */
export function checksPeerCertificate(security: Pick<TrunkSecurity, 'tls_ca_pem' | 'tls_pin_sha256'>): boolean {
  return security.tls_ca_pem !== null || security.tls_pin_sha256 !== null;
}

/**
 * Why an SDP for an SDES trunk's carrier leg (the carrier's offer or re-offer, the media server's answer) would not keep
 * its media encrypted, or undefined: its audio must use RTP/SAVP (or SAVPF) and carry an `a=crypto` key (RFC 4568
 * §9.1). Anything else would be plain RTP.
 * @example
 * srtpSdpProblem('...m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:...') // undefined
 * srtpSdpProblem('...m=audio 4000 RTP/AVP 0\r\n') // 'plain RTP (RTP/AVP)'
 */
export function srtpSdpProblem(sdp: string): string | undefined {
  const audio = /^m=audio [1-9]\d*(?:\/\d+)? (\S+)/m.exec(sdp);
  if (audio === null) return 'no audio';
  const profile = audio[1]!;
  if (profile !== 'RTP/SAVP' && profile !== 'RTP/SAVPF') return `plain RTP (${profile})`;
  if (!/^a=crypto:\d+ \S+ inline:/m.test(sdp)) return 'RTP/SAVP without an a=crypto key';
  return undefined;
}

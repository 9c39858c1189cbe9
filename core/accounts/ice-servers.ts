/**
 * The STUN/TURN servers a browser's WebRTC uses to reach the far end across NATs (RFC 8445): on-net calls go browser to
 * browser, so two users on different home networks need them. TURN credentials are short-lived and per account, in the
 * TURN REST scheme coturn implements (`use-auth-secret`): username `expiry:accountId`, credential
 * base64(HMAC-SHA1(secret, username)); nothing is stored, and the TURN server checks them with the shared secret.
 */
import { createHmac } from 'node:crypto';

export interface IceServer {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface IceConfig {
  /** `stun:`, `turn:` or `turns:` URLs. */
  readonly urls: readonly string[];
  /** The TURN server's shared secret; needed when any URL is a TURN one. */
  readonly turnSecret: string | undefined;
}

const isTurn = (url: string) => /^turns?:/i.test(url);

/**
 * @example
 * iceServersFor({ urls: ['stun:stun.example.org', 'turn:turn.example.org:3478'], turnSecret: 's3cret' }, accountId, expiresAt)
 * // [{ urls: ['stun:stun.example.org'] }, { urls: ['turn:turn.example.org:3478'], username: '1795950091:<id>', credential: '...' }]
 */
export function iceServersFor(config: IceConfig, accountId: string, expiresAt: Date): IceServer[] {
  const stun = config.urls.filter((url) => !isTurn(url));
  const turn = config.urls.filter(isTurn);
  const servers: IceServer[] = stun.length > 0 ? [{ urls: stun }] : [];
  if (turn.length > 0 && config.turnSecret !== undefined) {
    const username = `${Math.floor(expiresAt.getTime() / 1000)}:${accountId}`;
    const credential = createHmac('sha1', config.turnSecret).update(username).digest('base64');
    servers.push({ urls: turn, username, credential });
  }
  return servers;
}

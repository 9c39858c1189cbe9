/** The client side of digest auth, for tests that act as a UA: answers a WWW-Authenticate challenge. */
import { randomBytes } from 'node:crypto';
import { digestHash, ha1, type DigestAlgorithm } from '../../core/accounts/sip-credentials.ts';

export function answerChallenge(options: {
  challenge: string;
  method: string;
  uri: string;
  username: string;
  password: string;
  nc?: number;
  algorithm?: DigestAlgorithm;
}): string {
  const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(options.challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const algorithm = options.algorithm ?? (param('algorithm') as DigestAlgorithm);
  const nc = (options.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  const ha2 = digestHash(algorithm, `${options.method}:${options.uri}`);
  const response = digestHash(algorithm, `${ha1(algorithm, options.username, realm, options.password)}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${options.username}", realm="${realm}", nonce="${nonce}", uri="${options.uri}", ` +
    `response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}"`
  );
}

/**
 * REGISTER handling (RFC 3261 §10.3) as named steps; each step either passes or answers with a status and an
 * X-Reason. Works on a small {@link RegisterRequest}, not on drachtio types, so the adapter stays thin.
 */
import type { Kysely } from 'kysely';
import type { BruteForceGuard } from '../../core/abuse/brute-force.ts';
import { findSipCredential, type DigestAlgorithm } from '../../core/accounts/sip-credentials.ts';
import { applyRegister, type ContactBinding } from '../../core/registrations.ts';
import type { Database, SipTransport } from '../../db/schema.ts';
import type { Logger } from '../../logger.ts';
import { refuse, type SipReply } from '../sip-reply.ts';
import { digestChallenge, digestResponseMatches, DigestParseError, parseDigestCredentials, type DigestCredentials } from './digest.ts';
import type { NonceIssuer } from './nonces.ts';

export interface RegisterRequest {
  readonly uri: string;
  readonly callId: string;
  readonly cseq: number;
  readonly authorization: string | undefined;
  /** The user part of the To URI: the address-of-record being registered. */
  readonly toUser: string | undefined;
  /** `*` or the Contact entries with their own `expires` parameter, if any. */
  readonly contacts: '*' | readonly { readonly uri: string; readonly expires: number | undefined }[];
  /** The Expires header, if any. */
  readonly expires: number | undefined;
  readonly transport: SipTransport;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly drachtioServer: string;
  readonly userAgent: string | undefined;
}

export interface RegistrarOptions {
  readonly realm: string;
  /** Secret that browser credentials are derived from (shared with the api). */
  readonly credentialSecret: string;
  /** Algorithm offered in challenges; responses with either algorithm are accepted. */
  readonly challengeAlgorithm: DigestAlgorithm;
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
}

export interface RegistrarDeps {
  readonly db: Kysely<Database>;
  readonly nonces: NonceIssuer;
  readonly bruteForce: BruteForceGuard;
  readonly options: RegistrarOptions;
  readonly logger: Logger;
  readonly now: () => Date;
}

type Step<T> = { pass: T } | { reply: SipReply };

function challenge(deps: RegistrarDeps, stale: boolean, xReason: string): SipReply {
  const nonce = deps.nonces.issue(deps.now().getTime());
  const value = digestChallenge({ realm: deps.options.realm, nonce, algorithm: deps.options.challengeAlgorithm, stale });
  return { status: 401, reason: 'Unauthorized', headers: { 'WWW-Authenticate': value, 'X-Reason': xReason } };
}

/** A source that failed too often recently is answered without any work. */
function guardSource(deps: RegistrarDeps, request: RegisterRequest): Step<void> {
  if (deps.bruteForce.isBlocked(request.sourceAddress, deps.now().getTime())) {
    return { reply: refuse(403, 'Forbidden', 'source-blocked') };
  }
  return { pass: undefined };
}

function failure(deps: RegistrarDeps, request: RegisterRequest, reply: SipReply): { reply: SipReply } {
  if (deps.bruteForce.recordFailure(request.sourceAddress, deps.now().getTime())) {
    deps.logger.warn({ source: request.sourceAddress }, 'registrar: source blocked after repeated auth failures');
  }
  return { reply };
}

function readCredentials(deps: RegistrarDeps, request: RegisterRequest): Step<DigestCredentials> {
  if (request.authorization === undefined) return { reply: challenge(deps, false, 'auth-required') };
  try {
    const credentials = parseDigestCredentials(request.authorization);
    if (credentials.realm !== deps.options.realm) return { reply: challenge(deps, false, 'wrong-realm') };
    if (!deps.nonces.isOurs(credentials.nonce)) return failure(deps, request, challenge(deps, false, 'unknown-nonce'));
    if (credentials.uri !== request.uri) return { reply: refuse(400, 'Digest URI Mismatch', 'digest-uri-mismatch') };
    return { pass: credentials };
  } catch (error) {
    if (!(error instanceof DigestParseError)) throw error;
    return failure(deps, request, refuse(400, 'Malformed Authorization', 'malformed-authorization'));
  }
}

async function authenticate(deps: RegistrarDeps, request: RegisterRequest, credentials: DigestCredentials): Promise<Step<string>> {
  const now = deps.now();
  const credential = await findSipCredential(deps.db, { secret: deps.options.credentialSecret, realm: deps.options.realm, now }, credentials.username);
  if (credential.kind === 'expired') return { reply: refuse(403, 'Credentials Expired', 'credentials-expired') };
  const ha1 = credential.kind === 'known' ? credential.ha1[credentials.algorithm] : undefined;
  if (credential.kind === 'unknown' || ha1 === undefined || !digestResponseMatches(credentials, 'REGISTER', ha1)) {
    // Unknown user and wrong password look the same from outside.
    return failure(deps, request, refuse(403, 'Forbidden', 'bad-credentials'));
  }
  const verdict = deps.nonces.check(credentials.nonce, credentials.nc, now.getTime());
  if (verdict !== 'fresh') return { reply: challenge(deps, true, `nonce-${verdict}`) };
  if (request.toUser !== credentials.username) return { reply: refuse(403, 'Forbidden', 'aor-mismatch') };
  return { pass: credential.accountId };
}

/** Resolves each contact's expiry (§10.2.1.1): its own parameter, else the Expires header, else the default. */
function readBindings(deps: RegistrarDeps, request: RegisterRequest): Step<readonly ContactBinding[] | 'remove-all' | 'fetch'> {
  const { minExpires, maxExpires, defaultExpires } = deps.options;
  if (request.contacts === '*') {
    if (request.expires !== 0) return { reply: refuse(400, 'Wildcard Contact Needs Expires 0', 'bad-wildcard') };
    return { pass: 'remove-all' };
  }
  if (request.contacts.length === 0) return { pass: 'fetch' };
  const bindings: ContactBinding[] = [];
  for (const contact of request.contacts) {
    const requested = contact.expires ?? request.expires ?? defaultExpires;
    if (requested !== 0 && requested < minExpires) {
      return { reply: refuse(423, 'Interval Too Brief', 'interval-too-brief', { 'Min-Expires': String(minExpires) }) };
    }
    bindings.push({ contact: contact.uri, expiresSeconds: Math.min(requested, maxExpires) });
  }
  return { pass: bindings };
}

export async function handleRegister(deps: RegistrarDeps, request: RegisterRequest): Promise<SipReply> {
  const guarded = guardSource(deps, request);
  if ('reply' in guarded) return guarded.reply;
  const credentials = readCredentials(deps, request);
  if ('reply' in credentials) return credentials.reply;
  const account = await authenticate(deps, request, credentials.pass);
  if ('reply' in account) return account.reply;
  const bindings = readBindings(deps, request);
  if ('reply' in bindings) return bindings.reply;

  const now = deps.now();
  const outcome = await applyRegister(
    deps.db,
    {
      accountId: account.pass,
      username: credentials.pass.username,
      callId: request.callId,
      cseq: request.cseq,
      transport: request.transport,
      sourceAddress: request.sourceAddress,
      sourcePort: request.sourcePort,
      drachtioServer: request.drachtioServer,
      userAgent: request.userAgent ?? null,
      // A REGISTER without Contact only asks for the current bindings (§10.2.3).
      bindings: bindings.pass === 'fetch' ? [] : bindings.pass,
    },
    now,
  );
  if (outcome.kind === 'out-of-order') return refuse(500, 'Out Of Order', 'register-out-of-order', { 'Retry-After': '1' });
  // The 200 lists every live binding with its remaining time: SIP.js drops a 200 without its Contact.
  const contact = outcome.bindings
    .map((binding) => `<${binding.contact}>;expires=${Math.max(0, Math.round((binding.expires_at.getTime() - now.getTime()) / 1000))}`)
    .join(', ');
  return { status: 200, reason: 'OK', headers: contact === '' ? {} : { Contact: contact } };
}

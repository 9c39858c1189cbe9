/**
 * REGISTER handling (RFC 3261 §10.3) as named steps; each step either passes or answers with a status and an
 * X-Reason. Works on a small {@link RegisterRequest}, not on drachtio types, so the adapter stays thin.
 */
import type { BindingRefreshes } from '../../core/binding-refreshes.ts';
import type { RegistrationWatches } from '../../core/registration-watch.ts';
import { applyRegister, contactList, type ContactBinding, type RegisterUpdate } from '../../core/registrations.ts';
import type { SipTransport } from '../../db/schema.ts';
import { authenticateDigest, type DigestAuthDeps, type Step } from '../auth/digest-auth.ts';
import { refuse, type SipReply } from '../sip-reply.ts';

export interface RegisterRequest {
  readonly uri: string;
  readonly callId: string;
  readonly cseq: number;
  readonly authorization: string | undefined;
  /** The user part of the To URI: the address-of-record being registered. */
  readonly toUser: string | undefined;
  /** `*` or the Contact entries with their own `expires` parameter, if any. */
  readonly contacts: '*' | readonly { readonly uri: string; readonly expires: number | undefined; readonly instance?: string }[];
  /** The Expires header, if any. */
  readonly expires: number | undefined;
  readonly transport: SipTransport;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly drachtioServer: string;
  readonly userAgent: string | undefined;
}

export interface RegistrarOptions {
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  /** Live bindings per SIP username. */
  readonly maxBindings: number;
  /** Characters in one Contact URI. */
  readonly maxContactLength: number;
}

/**
 * The 200's Contact list over UDP: what is left of one datagram under the path MTU less RFC 3261 §18.1.1's 200
 * bytes, after the rest of the response (Via, From, To, Call-ID, CSeq and our headers: ~300 bytes).
 */
const UDP_CONTACT_LIST_BYTES = 1000;

export interface RegistrarDeps {
  readonly auth: DigestAuthDeps;
  /** Plain renewals of a contact, written in batches under load. */
  readonly refreshes: BindingRefreshes;
  readonly options: RegistrarOptions;
  /** Calls held ringing for a pushed browser (core/registration-watch.ts): told of each accepted REGISTER that leaves a live binding. */
  readonly watches?: RegistrationWatches;
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
    if (contact.uri.length > deps.options.maxContactLength) {
      return { reply: refuse(400, 'Contact Too Long', 'contact-too-long') };
    }
    const requested = contact.expires ?? request.expires ?? defaultExpires;
    if (requested !== 0 && requested < minExpires) {
      return { reply: refuse(423, 'Interval Too Brief', 'interval-too-brief', { 'Min-Expires': String(minExpires) }) };
    }
    bindings.push({
      contact: contact.uri,
      expiresSeconds: Math.min(requested, maxExpires),
      ...(contact.instance === undefined ? {} : { instance: contact.instance }),
    });
  }
  return { pass: bindings };
}

export async function handleRegister(deps: RegistrarDeps, request: RegisterRequest): Promise<SipReply> {
  const auth = await authenticateDigest(deps.auth, {
    method: 'REGISTER',
    authorization: request.authorization,
    sourceAddress: request.sourceAddress,
    transport: request.transport,
  });
  if ('reply' in auth) return auth.reply;
  // A user registers their own address-of-record only.
  if (request.toUser !== auth.pass.username) return refuse(403, 'Forbidden', 'aor-mismatch');
  const bindings = readBindings(deps, request);
  if ('reply' in bindings) return bindings.reply;

  const now = deps.auth.now();
  const update: RegisterUpdate = {
    accountId: auth.pass.accountId,
    username: auth.pass.username,
    callId: request.callId,
    cseq: request.cseq,
    transport: request.transport,
    sourceAddress: request.sourceAddress,
    sourcePort: request.sourcePort,
    drachtioServer: request.drachtioServer,
    userAgent: request.userAgent ?? null,
    // A REGISTER without Contact only asks for the current bindings (§10.2.3).
    bindings: bindings.pass === 'fetch' ? [] : bindings.pass,
    limits: {
      maxBindings: deps.options.maxBindings,
      ...(request.transport === 'udp' ? { maxContactListBytes: UDP_CONTACT_LIST_BYTES } : {}),
    },
  };
  const refreshed = await deps.refreshes.refresh(update, now);
  const outcome = refreshed === undefined ? await applyRegister(deps.auth.db, update, now) : { kind: 'updated' as const, bindings: refreshed };
  if (outcome.kind === 'out-of-order') return refuse(500, 'Out Of Order', 'register-out-of-order', { 'Retry-After': '1' });
  if (outcome.kind === 'too-many-bindings') return refuse(403, 'Too Many Bindings', 'too-many-bindings');
  // Written and committed: a call waiting for this account now finds the binding.
  if (outcome.bindings.length > 0) deps.watches?.registered(auth.pass.accountId);
  // The 200 lists every live binding with its remaining time: SIP.js drops a 200 without its Contact.
  const contact = contactList(outcome.bindings, now);
  return { status: 200, reason: 'OK', headers: contact === '' ? {} : { Contact: contact } };
}

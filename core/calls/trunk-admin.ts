/**
 * The operator's carriers: validated create, change, list and delete. The digest password a carrier gave us is
 * stored because answering its challenge needs it, but it is never read back out through here.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, TrunkDidSource, TrunksTable } from '../../db/schema.ts';
import { recordAudit } from '../audit.ts';
import { CallAdminError, isUniqueViolation } from './call-admin-error.ts';
import { DEFAULT_DIALLING_RULES, diallingRulesProblem, type DiallingRules } from './dial-string.ts';
import { InvalidCidr, parseCidr } from './trunks.ts';
import { DEFAULT_TRUNK_SECURITY, normalisePin, trunkSecurityProblem, type TrunkSecurity } from './trunk-security.ts';
import { parseTrunkUri } from './trunk-uri.ts';

/** A trunk as shown to operators: everything but the passwords, and whether each is set. */
export type TrunkView = Omit<Selectable<TrunksTable>, 'auth_password' | 'register_password'> & {
  readonly has_password: boolean;
  readonly has_register_password: boolean;
};

/** Outbound registration with the carrier's registrar (core/calls/trunk-registration.ts). */
export interface TrunkRegistrationInput {
  /** `sip:host[:port][;transport=udp|tcp|tls]`. */
  readonly uri: string;
  readonly username: string;
  /** null: the registrar asks for none. */
  readonly password: string | null;
  /** Seconds asked for, 60 to 86400. */
  readonly expires: number;
  readonly didSource: TrunkDidSource;
}

export const REGISTER_EXPIRES = { min: 60, max: 86_400 } as const;
/** Where inbound calls on a registration carry the number: the To user, or the Request-URI user. */
export const DID_SOURCES: readonly TrunkDidSource[] = ['to', 'request-uri'];
/** What a registration asks for when nothing is said. */
export const REGISTER_DEFAULTS = { expires: 3600, didSource: 'to' } as const satisfies { expires: number; didSource: TrunkDidSource };

export interface TrunkInput {
  readonly name: string;
  readonly priority: number;
  /** `sip:host[:port][;transport=udp|tcp|tls]`; null for a trunk that only sends us calls. */
  readonly outboundUri: string | null;
  /** Both or neither. */
  readonly auth: { readonly username: string; readonly password: string } | null;
  readonly inboundSources: readonly string[];
  readonly enabled: boolean;
  /** How numbers, caller ID and codecs go to the carrier; omitted: {@link DEFAULT_DIALLING_RULES}. */
  readonly dialling?: DiallingRules;
  /** Omitted or null: the trunk does not register. */
  readonly registration?: TrunkRegistrationInput | null;
  /** A TLS trunk's own CA or pin, and SRTP to the carrier; omitted: {@link DEFAULT_TRUNK_SECURITY}. */
  readonly security?: TrunkSecurity;
}

function validate(input: TrunkInput): void {
  if (!/^[\w .-]{1,64}$/.test(input.name)) throw new CallAdminError('invalid', 'a trunk name is 1-64 letters, digits, spaces, dots, dashes or underscores');
  if (!Number.isInteger(input.priority) || input.priority < 0 || input.priority > 10_000)
    throw new CallAdminError('invalid', 'priority is a whole number from 0 to 10000');
  const uri = input.outboundUri === null ? undefined : parseTrunkUri(input.outboundUri);
  if (uri !== undefined && !uri.ok) {
    throw new CallAdminError('invalid', `outbound URI ${input.outboundUri}: ${uri.problem}, e.g. sip:carrier.example.net:5060;transport=udp`);
  }
  if (input.auth !== null && (input.auth.username === '' || input.auth.password === ''))
    throw new CallAdminError('invalid', 'digest credentials need both a username and a password');
  for (const cidr of input.inboundSources) {
    try {
      parseCidr(cidr);
    } catch (error) {
      if (error instanceof InvalidCidr) throw new CallAdminError('invalid', `inbound source ${error.message}`);
      throw error;
    }
  }
  const registration = input.registration ?? null;
  if (registration !== null) {
    const registrar = parseTrunkUri(registration.uri);
    if (!registrar.ok) throw new CallAdminError('invalid', `registrar URI ${registration.uri}: ${registrar.problem}, e.g. sip:reg.carrier.example`);
    if (registration.username === '' || registration.password === '')
      throw new CallAdminError('invalid', 'a registration needs a username, and a password if any is given');
    if (!Number.isInteger(registration.expires) || registration.expires < REGISTER_EXPIRES.min || registration.expires > REGISTER_EXPIRES.max)
      throw new CallAdminError('invalid', `registration expires is a whole number of seconds from ${REGISTER_EXPIRES.min} to ${REGISTER_EXPIRES.max}`);
    if (!DID_SOURCES.includes(registration.didSource)) throw new CallAdminError('invalid', `registration didSource is one of ${DID_SOURCES.join(', ')}`);
  }
  if (input.outboundUri === null && input.inboundSources.length === 0 && registration === null)
    throw new CallAdminError('invalid', 'a trunk needs an outbound URI, inbound sources, a registration, or some of these');
  const problem = diallingRulesProblem(input.dialling ?? DEFAULT_DIALLING_RULES);
  if (problem !== undefined) throw new CallAdminError('invalid', problem);
  const securityProblem = trunkSecurityProblem(input.security ?? DEFAULT_TRUNK_SECURITY, uri?.ok ? uri.uri : undefined);
  if (securityProblem !== undefined) throw new CallAdminError('invalid', securityProblem);
}

function view(row: Selectable<TrunksTable>): TrunkView {
  const { auth_password, register_password, ...rest } = row;
  return { ...rest, has_password: auth_password !== null, has_register_password: register_password !== null };
}

function columns(input: TrunkInput) {
  const dialling = input.dialling ?? DEFAULT_DIALLING_RULES;
  const registration = input.registration ?? null;
  const security = input.security ?? DEFAULT_TRUNK_SECURITY;
  return {
    name: input.name,
    priority: input.priority,
    outbound_uri: input.outboundUri,
    auth_username: input.auth?.username ?? null,
    auth_password: input.auth?.password ?? null,
    inbound_sources: [...input.inboundSources],
    enabled: input.enabled,
    number_format: dialling.number_format,
    tech_prefix: dialling.tech_prefix,
    caller_id_header: dialling.caller_id_header,
    caller_id_withheld: dialling.caller_id_withheld,
    // An empty order is no order.
    codec_order: dialling.codec_order === null || dialling.codec_order.length === 0 ? null : [...dialling.codec_order],
    register_uri: registration?.uri ?? null,
    register_username: registration?.username ?? null,
    register_password: registration?.password ?? null,
    register_expires: registration?.expires ?? REGISTER_DEFAULTS.expires,
    register_did_source: registration?.didSource ?? REGISTER_DEFAULTS.didSource,
    tls_ca_pem: security.tls_ca_pem,
    tls_pin_sha256: security.tls_pin_sha256 === null ? null : (normalisePin(security.tls_pin_sha256) ?? null),
    media_encryption: security.media_encryption,
  };
}

async function writing<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new CallAdminError('conflict', `a trunk named ${name} already exists`);
    throw error;
  }
}

/**
 * @example
 * await createTrunk(db, operatorId, { name: 'carrier-a', priority: 10, outboundUri: 'sip:sbc.carrier.example:5060',
 *   auth: { username: 'acct1', password: '...' }, inboundSources: ['203.0.113.0/28'], enabled: true });
 */
export async function createTrunk(db: Kysely<Database>, actorAccountId: string | null, input: TrunkInput): Promise<TrunkView> {
  validate(input);
  const row = await writing(input.name, () => db.insertInto('trunks').values(columns(input)).returningAll().executeTakeFirstOrThrow());
  await recordAudit(db, { action: 'calls.trunk_created', actorAccountId, detail: { trunkId: row.id, name: row.name } });
  return view(row);
}

/**
 * Replaces a trunk's settings; `auth: 'keep'` leaves stored credentials as they are, and so does a registration's
 * `password: 'keep'` (passwords are never shown).
 */
export async function updateTrunk(
  db: Kysely<Database>,
  actorAccountId: string | null,
  id: number,
  input: Omit<TrunkInput, 'auth' | 'registration'> & {
    auth: TrunkInput['auth'] | 'keep';
    registration?: (Omit<TrunkRegistrationInput, 'password'> & { password: string | null | 'keep' }) | null;
  },
): Promise<TrunkView> {
  const current = await db.selectFrom('trunks').selectAll().where('id', '=', id).executeTakeFirst();
  if (current === undefined) throw new CallAdminError('not_found', 'no such trunk');
  const auth =
    input.auth === 'keep'
      ? current.auth_username && current.auth_password
        ? { username: current.auth_username, password: current.auth_password }
        : null
      : input.auth;
  const registration =
    input.registration === undefined || input.registration === null
      ? null
      : { ...input.registration, password: input.registration.password === 'keep' ? current.register_password : input.registration.password };
  const full: TrunkInput = { ...input, auth, registration };
  validate(full);
  const row = await writing(input.name, () => db.updateTable('trunks').set(columns(full)).where('id', '=', id).returningAll().executeTakeFirstOrThrow());
  await recordAudit(db, {
    action: 'calls.trunk_updated',
    actorAccountId,
    detail: {
      trunkId: id,
      name: row.name,
      credentialsChanged: input.auth !== 'keep' || (input.registration !== undefined && input.registration?.password !== 'keep'),
    },
  });
  return view(row);
}

/** Call records keep their history: their trunk reference becomes null (ON DELETE SET NULL). */
export async function deleteTrunk(db: Kysely<Database>, actorAccountId: string | null, id: number): Promise<void> {
  const deleted = await db.deleteFrom('trunks').where('id', '=', id).returning(['id', 'name']).executeTakeFirst();
  if (deleted === undefined) throw new CallAdminError('not_found', 'no such trunk');
  await recordAudit(db, { action: 'calls.trunk_deleted', actorAccountId, detail: { trunkId: id, name: deleted.name } });
}

export async function listTrunks(db: Kysely<Database>): Promise<TrunkView[]> {
  return (await db.selectFrom('trunks').selectAll().orderBy('priority').orderBy('id').execute()).map(view);
}

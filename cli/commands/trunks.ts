/**
 * `dialo trunks ...`: carriers (core/calls/trunk-admin.ts), everything the admin API takes: routing, digest
 * credentials, dialling rules and outbound registration. Each value is checked by the core code the API's checks
 * come from, as it is parsed, so a bad one is refused naming its option. Passwords are read from stdin, never from
 * the command line (every local user can read a process's arguments), and never printed.
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { trunkDto, trunksWithState } from '../../api/routes/admin-calls.ts';
import { CallAdminError } from '../../core/calls/call-admin-error.ts';
import { CALLER_ID_HEADERS, DEFAULT_DIALLING_RULES, diallingRulesProblem, NUMBER_FORMATS, type DiallingRules } from '../../core/calls/dial-string.ts';
import {
  createTrunk,
  deleteTrunk,
  DID_SOURCES,
  listTrunks,
  REGISTER_DEFAULTS,
  REGISTER_EXPIRES,
  updateTrunk,
  type TrunkRegistrationInput,
  type TrunkView,
} from '../../core/calls/trunk-admin.ts';
import { DEFAULT_TRUNK_SECURITY, MEDIA_ENCRYPTIONS, normalisePin, type TrunkSecurity } from '../../core/calls/trunk-security.ts';
import { parseTrunkUri } from '../../core/calls/trunk-uri.ts';
import type { TrunkCallerIdHeader, TrunkDidSource, TrunkMediaEncryption, TrunkNumberFormat } from '../../db/schema.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { parse, print, UsageError } from '../output.ts';

/** What commander made of the options; `false` is a `--no-...` given (update only). */
interface TrunkOptions {
  name?: string;
  priority?: number;
  outboundUri?: string | false;
  inbound?: string[] | false;
  authUsername?: string;
  authPasswordStdin?: boolean;
  auth?: boolean;
  enabled?: boolean;
  disabled?: boolean;
  numberFormat?: TrunkNumberFormat;
  techPrefix?: string | false;
  callerIdHeader?: TrunkCallerIdHeader;
  callerIdWithheld?: boolean;
  codecOrder?: string[] | false;
  registerUri?: string;
  registerUsername?: string;
  registerPasswordStdin?: boolean;
  registerPassword?: boolean;
  registerExpires?: number;
  registerDidSource?: TrunkDidSource;
  registration?: boolean;
  tlsCaFile?: string;
  tlsCa?: boolean;
  tlsPin?: string | false;
  mediaEncryption?: TrunkMediaEncryption;
}

/** A rule alone, checked by core's dialling-rules check: its sentence becomes commander's "argument ... is invalid". */
function rule<T>(value: T, rules: Partial<DiallingRules>): T {
  const problem = diallingRulesProblem({ ...DEFAULT_DIALLING_RULES, ...rules });
  if (problem !== undefined) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

const check = {
  uri(value: string): string {
    const uri = parseTrunkUri(value);
    if (!uri.ok) throw new InvalidArgumentError(`${uri.problem}.`);
    return value;
  },
  techPrefix: (value: string) => rule(value, { tech_prefix: value }),
  codecOrder(value: string): string[] {
    const codecs = value.split(',').map((codec) => codec.trim());
    return rule(codecs, { codec_order: codecs });
  },
  pin(value: string): string {
    if (normalisePin(value) === undefined) throw new InvalidArgumentError('expected the SHA-256 fingerprint: 64 hex digits, colons allowed.');
    return value;
  },
  expires(value: string): number {
    const seconds = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
    if (!(seconds >= REGISTER_EXPIRES.min && seconds <= REGISTER_EXPIRES.max))
      throw new InvalidArgumentError(`expected whole seconds from ${REGISTER_EXPIRES.min} to ${REGISTER_EXPIRES.max}.`);
    return seconds;
  },
};

function trunkOptions(command: Command): Command {
  return command
    .option('--priority <n>', 'lower is tried first', parse.integer)
    .option('--outbound-uri <uri>', 'where calls go out, e.g. sip:sbc.carrier.example:5060;transport=udp', check.uri)
    .option('--inbound <cidr...>', "the addresses the carrier's INVITEs come from")
    .option('--auth-username <name>', "the carrier's digest username; the password is read from stdin (--auth-password-stdin)")
    .option('--auth-password-stdin', "read the carrier's digest password from stdin (the first line)")
    .option('--disabled', 'out of routing')
    .addOption(
      new Option('--number-format <format>', 'how the dialled number is written: +14155550100, 14155550100 or national digits').choices(NUMBER_FORMATS),
    )
    .option('--tech-prefix <digits>', 'digits put before the number', check.techPrefix)
    .addOption(new Option('--caller-id-header <header>', 'pai: the caller also in P-Asserted-Identity (RFC 3325)').choices(CALLER_ID_HEADERS))
    .option('--caller-id-withheld', 'From anonymous and Privacy: id (RFC 3323); needs --caller-id-header pai')
    .option('--codec-order <codecs>', 'codecs first in the offer, in this order, e.g. PCMA,PCMU', check.codecOrder)
    .option('--tls-ca-file <path>', "a PEM file of the CA(s) the carrier's TLS certificate must chain to (host name checked)")
    .option('--tls-pin <sha256>', "the carrier certificate's SHA-256 fingerprint, e.g. from openssl x509 -fingerprint -sha256", check.pin)
    .addOption(new Option('--media-encryption <kind>', 'sdes: SRTP to the carrier, keyed in the SDP; never plain RTP').choices(MEDIA_ENCRYPTIONS))
    .option('--register-uri <uri>', "register with the carrier's registrar, e.g. sip:reg.carrier.example:5060", check.uri)
    .option('--register-username <name>', 'the username to register as')
    .option('--register-password-stdin', "read the registrar's password from stdin (the line after the digest password, if both)")
    .option(
      '--register-expires <seconds>',
      `seconds asked for, ${REGISTER_EXPIRES.min}-${REGISTER_EXPIRES.max} (default ${REGISTER_DEFAULTS.expires})`,
      check.expires,
    )
    .addOption(
      new Option('--register-did-source <where>', `where inbound calls on the registration carry the number (default ${REGISTER_DEFAULTS.didSource})`).choices(
        DID_SOURCES,
      ),
    );
}

/** The passwords asked for, one stdin line each: the digest password first, then the registrar's. */
async function passwords(options: TrunkOptions): Promise<{ auth?: string; register?: string }> {
  const wanted = (['auth', 'register'] as const).filter((which) => options[`${which}PasswordStdin`] === true);
  if (wanted.length === 0) return {};
  const lines = (await text(process.stdin)).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const read: { auth?: string; register?: string } = {};
  for (const [index, which] of wanted.entries()) {
    const password = lines[index] ?? '';
    if (password === '') throw new UsageError(`--${which}-password-stdin: stdin held no password${wanted.length > 1 ? ` on line ${index + 1}` : ''}`);
    read[which] = password;
  }
  if (lines.length > wanted.length) throw new UsageError(`stdin held ${lines.length} lines for ${wanted.length} password(s)`);
  return read;
}

/** The carrier's digest credentials: a username here, its password on stdin; undefined when neither is given. */
function credentials(options: TrunkOptions, password: string | undefined): { username: string; password: string } | undefined {
  if (options.authUsername === undefined && options.authPasswordStdin !== true) return undefined;
  if (options.authUsername === undefined || password === undefined) throw new UsageError('--auth-username and --auth-password-stdin go together');
  return { username: options.authUsername, password };
}

function dialling(options: TrunkOptions, current: DiallingRules): DiallingRules {
  const or = <T>(given: T | false | undefined, kept: T | null): T | null => (given === false ? null : (given ?? kept));
  return {
    number_format: options.numberFormat ?? current.number_format,
    tech_prefix: or(options.techPrefix, current.tech_prefix),
    caller_id_header: options.callerIdHeader ?? current.caller_id_header,
    caller_id_withheld: options.callerIdWithheld ?? current.caller_id_withheld,
    codec_order: or(options.codecOrder, current.codec_order),
  };
}

/** The TLS trust and media encryption asked for, over what `current` has; the CA read from its file. */
async function security(options: TrunkOptions, current: TrunkSecurity): Promise<TrunkSecurity> {
  if (options.tlsCa === false && options.tlsCaFile !== undefined) throw new UsageError('--no-tls-ca and --tls-ca-file do not go together');
  const caPem =
    options.tlsCaFile === undefined
      ? undefined
      : await readFile(options.tlsCaFile, 'utf8').catch((error: Error) => {
          throw new UsageError(`--tls-ca-file: ${error.message}`);
        });
  return {
    tls_ca_pem: options.tlsCa === false ? null : (caPem ?? current.tls_ca_pem),
    tls_pin_sha256: options.tlsPin === false ? null : (options.tlsPin ?? current.tls_pin_sha256),
    media_encryption: options.mediaEncryption ?? current.media_encryption,
  };
}

/** Whether any registration option is given (--no-register-password has no positive twin: it defaults to true). */
const registers = (options: TrunkOptions): boolean =>
  options.registerPassword === false ||
  [options.registerUri, options.registerUsername, options.registerPasswordStdin, options.registerExpires, options.registerDidSource].some(
    (option) => option !== undefined,
  );

type RegistrationChange = (Omit<TrunkRegistrationInput, 'password'> & { password: string | null | 'keep' }) | null;

/**
 * The registration asked for, from the options over what `current` has (null: none); its password from stdin,
 * none with --no-register-password, else kept.
 */
function registration(options: TrunkOptions, current: TrunkView | null, password: string | undefined): RegistrationChange {
  const had = current !== null && current.register_uri !== null && current.register_username !== null;
  if (options.registration === false) {
    if (registers(options)) throw new UsageError('--no-registration goes with no other --register-* option');
    return null;
  }
  if (!registers(options)) {
    return had
      ? {
          uri: current.register_uri!,
          username: current.register_username!,
          expires: current.register_expires,
          didSource: current.register_did_source,
          password: 'keep',
        }
      : null;
  }
  const uri = options.registerUri ?? (had ? current.register_uri : null);
  const username = options.registerUsername ?? (had ? current.register_username : null);
  if (uri === null || username === null) throw new UsageError('--register-uri and --register-username are both needed to register');
  return {
    uri,
    username,
    password: password ?? (options.registerPassword === false || !had ? null : 'keep'),
    expires: options.registerExpires ?? (had ? current.register_expires : REGISTER_DEFAULTS.expires),
    didSource: options.registerDidSource ?? (had ? current.register_did_source : REGISTER_DEFAULTS.didSource),
  };
}

/** As `GET /admin/trunks` shows a trunk, with the state the signaling nodes wrote. */
const listed = trunksWithState;
type Listed = Awaited<ReturnType<typeof listed>>[number];
type Shown = ReturnType<typeof trunkDto> & Partial<Pick<Listed, 'registrationState'>>;

const rules = (trunk: Shown) =>
  `dial ${trunk.numberFormat}${trunk.techPrefix === null ? '' : ` after ${trunk.techPrefix}`}  caller ${trunk.callerIdWithheld ? 'withheld, ' : ''}${trunk.callerIdHeader}  codecs ${trunk.codecOrder?.join(',') ?? 'as offered'}`;
const secured = (trunk: Shown) =>
  `tls ${[trunk.tlsCaPem === null ? '' : 'own CA', trunk.tlsPinSha256 === null ? '' : `pin ${trunk.tlsPinSha256}`].filter(Boolean).join(', ') || 'as drachtio trusts'}  media ${trunk.mediaEncryption}`;
const registered = (trunk: Shown) => {
  const it = trunk.registration;
  if (it === null) return 'no registration';
  const held = trunk.registrationState === undefined ? '' : `  held by ${trunk.registrationState?.heldBy ?? 'no node now'}`;
  return `registers ${it.username} at ${it.uri} every ${it.expires}s${it.hasPassword ? ' with a password' : ''}, number in ${it.didSource}${held}`;
};
const line = (trunk: Shown) =>
  `${trunk.id}  ${trunk.name}  priority ${trunk.priority}  ${trunk.enabled ? 'enabled' : 'disabled'}  out ${trunk.outboundUri ?? '-'}  in ${trunk.inboundSources.join(',') || '-'}  auth ${trunk.authUsername ?? '-'}  ${rules(trunk)}  ${secured(trunk)}  ${registered(trunk)}`;

export function trunkCommands(program: Command): void {
  const trunks = program.command('trunks').description('carriers: where calls go out and come in from, how they are dialled, registration');

  trunkOptions(trunks.command('add').description('a carrier; audited').requiredOption('--name <name>', 'its name, unique')).action(
    (options: TrunkOptions, command: Command) =>
      withDatabase(async ({ db }) => {
        const secret = await passwords(options);
        const auth = credentials(options, secret.auth) ?? null;
        const change = registration(options, null, secret.register);
        const trunk = await createTrunk(db, COMMAND_LINE, {
          name: options.name!,
          priority: options.priority ?? 100,
          outboundUri: options.outboundUri || null,
          auth,
          inboundSources: options.inbound || [],
          enabled: options.disabled !== true,
          dialling: dialling(options, DEFAULT_DIALLING_RULES),
          security: await security(options, DEFAULT_TRUNK_SECURITY),
          registration: change === null ? null : { ...change, password: change.password === 'keep' ? null : change.password },
        });
        print(command, trunkDto(trunk), line);
      }),
  );

  trunks
    .command('list')
    .description('carriers, in routing order, with their dialling rules and registration (passwords are never shown)')
    .action((_options: unknown, command: Command) =>
      withDatabase(async ({ db }) => {
        print(command, await listed(db), (them) => them.map(line));
      }),
    );

  trunks
    .command('show')
    .description('one carrier, as list shows it')
    .argument('<id>', 'the trunk id', parse.integer)
    .action((id: number, _options: unknown, command: Command) =>
      withDatabase(async ({ db }) => {
        const trunk = (await listed(db)).find((each) => each.id === id);
        if (trunk === undefined) throw new CallAdminError('not_found', `trunk ${id}: no such trunk`);
        print(command, trunk, line);
      }),
    );

  // Each --no-x after its --x: commander then leaves x undefined when neither is given.
  trunkOptions(
    trunks
      .command('update')
      .description('change what is given, keep the rest (stored passwords too); audited')
      .argument('<id>', 'the trunk id', parse.integer)
      .option('--name <name>', 'a new name')
      .option('--enabled', 'back in routing'),
  )
    .option('--no-outbound-uri', 'send no calls out through it')
    .option('--no-inbound', 'take no calls from any address')
    .option('--no-auth', 'remove the digest credentials')
    .option('--no-tech-prefix', 'put nothing before the number')
    .option('--no-caller-id-withheld', 'show the caller again')
    .option('--no-codec-order', 'leave the offer as it is')
    .option('--no-tls-ca', "forget the trunk's own CA")
    .option('--no-tls-pin', 'forget the pin')
    .option('--no-register-password', 'the registrar asks for none: forget the stored one')
    .option('--no-registration', 'stop registering')
    .action((id: number, options: TrunkOptions, command: Command) =>
      withDatabase(async ({ db }) => {
        const current = (await listTrunks(db)).find((trunk) => trunk.id === id);
        // updateTrunk says the same; asked here first so stdin passwords are not read for nothing.
        if (current === undefined) throw new CallAdminError('not_found', `trunk ${id}: no such trunk`);
        const secret = await passwords(options);
        const given = credentials(options, secret.auth);
        const trunk = await updateTrunk(db, COMMAND_LINE, id, {
          name: options.name ?? current.name,
          priority: options.priority ?? current.priority,
          outboundUri: options.outboundUri === false ? null : (options.outboundUri ?? current.outbound_uri),
          auth: options.auth === false ? null : (given ?? 'keep'),
          inboundSources: options.inbound === false ? [] : (options.inbound ?? current.inbound_sources),
          enabled: options.disabled === true ? false : options.enabled === true ? true : current.enabled,
          dialling: dialling(options, current),
          security: await security(options, current),
          registration: registration(options, current, secret.register),
        });
        print(command, trunkDto(trunk), line);
      }),
    );

  trunks
    .command('remove')
    .description('delete a carrier (its call records keep their history); audited')
    .argument('<id>', 'the trunk id', parse.integer)
    .action((id: number, _options: unknown, command: Command) =>
      withDatabase(async ({ db }) => {
        await deleteTrunk(db, COMMAND_LINE, id);
        print(command, { id, removed: true }, () => `trunk ${id} removed`);
      }),
    );
}

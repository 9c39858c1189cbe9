/**
 * `dialo trunks ...`: carriers (core/calls/trunk-admin.ts), as the admin API. Digest passwords are read from stdin,
 * never from the command line (every local user can read a process's arguments), and never printed.
 */
import { text } from 'node:stream/consumers';
import { Option, type Command } from 'commander';
import { CallAdminError } from '../../core/calls/call-admin-error.ts';
import { trunkDto } from '../../api/routes/admin-calls.ts';
import { createTrunk, deleteTrunk, listTrunks, updateTrunk } from '../../core/calls/trunk-admin.ts';
import { DEFAULT_DIALLING_RULES, type DiallingRules } from '../../core/calls/dial-string.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { parse, print, UsageError } from '../output.ts';

interface TrunkOptions {
  name?: string;
  priority?: number;
  outboundUri?: string;
  inbound?: string[];
  authUsername?: string;
  authPasswordStdin?: boolean;
  auth?: false;
  enabled?: boolean;
  disabled?: boolean;
  numberFormat?: DiallingRules['number_format'];
  techPrefix?: string;
  callerIdHeader?: DiallingRules['caller_id_header'];
}

/** As the admin API shows a trunk (GET /admin/trunks without health), so --json reads the same. */
const shown = trunkDto;
const line = (trunk: ReturnType<typeof shown>) =>
  `${trunk.id}  ${trunk.name}  priority ${trunk.priority}  ${trunk.enabled ? 'enabled' : 'disabled'}  out ${trunk.outboundUri ?? '-'}  in ${trunk.inboundSources.join(',') || '-'}`;

function trunkOptions(command: Command): Command {
  return command
    .option('--priority <n>', 'lower is tried first', parse.integer)
    .option('--outbound-uri <uri>', 'where calls go out, e.g. sip:sbc.carrier.example:5060;transport=udp')
    .option('--inbound <cidr...>', "the addresses the carrier's INVITEs come from")
    .option('--auth-username <name>', "the carrier's digest username; the password is read from stdin (--auth-password-stdin)")
    .option('--auth-password-stdin', "read the carrier's digest password from stdin")
    .option('--disabled', 'out of routing')
    .addOption(new Option('--number-format <format>', 'how the dialled number is written').choices(['e164', 'e164-no-plus', 'national']))
    .option('--tech-prefix <digits>', 'digits put before the number')
    .addOption(new Option('--caller-id-header <header>', 'pai: the caller also in P-Asserted-Identity').choices(['from', 'pai']));
}

/** The carrier's credentials: a username here, its password on stdin; undefined when neither is given. */
async function credentials(options: TrunkOptions): Promise<{ username: string; password: string } | undefined> {
  if (options.authUsername === undefined && options.authPasswordStdin !== true) return undefined;
  if (options.authUsername === undefined || options.authPasswordStdin !== true) {
    throw new UsageError('--auth-username and --auth-password-stdin go together');
  }
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--auth-password-stdin: stdin held no password');
  return { username: options.authUsername, password };
}

function dialling(options: TrunkOptions, current: DiallingRules): DiallingRules {
  return {
    ...current,
    number_format: options.numberFormat ?? current.number_format,
    tech_prefix: options.techPrefix ?? current.tech_prefix,
    caller_id_header: options.callerIdHeader ?? current.caller_id_header,
  };
}

export function trunkCommands(program: Command): void {
  const trunks = program.command('trunks').description('carriers: where calls go out and come in from');

  trunkOptions(trunks.command('add').description('a carrier; audited').requiredOption('--name <name>', 'its name, unique')).action(
    (options: TrunkOptions, command: Command) =>
      withDatabase(async ({ db }) => {
        const trunk = await createTrunk(db, COMMAND_LINE, {
          name: options.name!,
          priority: options.priority ?? 100,
          outboundUri: options.outboundUri ?? null,
          auth: (await credentials(options)) ?? null,
          inboundSources: options.inbound ?? [],
          enabled: options.disabled !== true,
          dialling: dialling(options, DEFAULT_DIALLING_RULES),
        });
        print(command, shown(trunk), line);
      }),
  );

  trunks
    .command('list')
    .description('carriers, in routing order (passwords are never shown)')
    .action((_options: unknown, command: Command) =>
      withDatabase(async ({ db }) => {
        const all = (await listTrunks(db)).map(shown);
        print(command, all, (them) => them.map(line));
      }),
    );

  trunkOptions(
    trunks
      .command('update')
      .description('change what is given, keep the rest (stored passwords too); audited')
      .argument('<id>', 'the trunk id', parse.integer)
      .option('--name <name>', 'a new name')
      .option('--enabled', 'back in routing')
      .option('--no-auth', 'remove the digest credentials'),
  ).action((id: number, options: TrunkOptions, command: Command) =>
    withDatabase(async ({ db }) => {
      const current = (await listTrunks(db)).find((trunk) => trunk.id === id);
      // updateTrunk says the same; asked here first so the stdin password is not read for nothing.
      if (current === undefined) throw new CallAdminError('not_found', `trunk ${id}: no such trunk`);
      const given = await credentials(options);
      const registration =
        current.register_uri === null || current.register_username === null
          ? null
          : {
              uri: current.register_uri,
              username: current.register_username,
              expires: current.register_expires,
              didSource: current.register_did_source,
              password: 'keep' as const,
            };
      const trunk = await updateTrunk(db, COMMAND_LINE, id, {
        name: options.name ?? current.name,
        priority: options.priority ?? current.priority,
        outboundUri: options.outboundUri ?? current.outbound_uri,
        auth: options.auth === false ? null : (given ?? 'keep'),
        inboundSources: options.inbound ?? current.inbound_sources,
        enabled: options.disabled === true ? false : options.enabled === true ? true : current.enabled,
        dialling: dialling(options, current),
        registration,
      });
      print(command, shown(trunk), line);
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

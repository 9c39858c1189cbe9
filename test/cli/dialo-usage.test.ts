// Every `dialo` command, found by walking the commander program itself (so a new command cannot go untested): its
// --help exits 0, and one bad input exits 2 with one line naming the bad argument. Input refused before any database
// is opened runs with a database the command cannot reach (opening it would exit 1 instead); input refused once the
// database is open runs on Postgres and on PGlite (cliDialects).
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../cli/program.ts';
import { runDialo } from '../harness/app-process.ts';
import { cliDialects, fixture, refused, type Fixture } from '../harness/dialo-fixture.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Every command's path below the program, groups and their subcommands alike. */
function commandPaths(command: Command, prefix: readonly string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const program = buildProgram();
const paths = commandPaths(program);
const leaf = (path: readonly string[]) => path.reduce<Command>((command, name) => command.commands.find((sub) => sub.name() === name)!, program);
const runnable = paths.filter((path) => leaf(path).commands.length === 0).map((path) => path.join(' '));

interface BadInput {
  readonly args: readonly string[];
  readonly reason: RegExp;
  /** Refused only once the database is open (the account or number is looked at there). */
  readonly database?: true;
}

/** One bad input per command. */
const BAD_INPUT: Record<string, BadInput> = {
  migrate: { args: ['--down', '--sideways'], reason: /unknown option '--sideways'/ },
  'accounts list': { args: ['--limit', 'many'], reason: /option '--limit <n>' argument 'many' is invalid/ },
  'accounts show': { args: ['not-an-account'], reason: /account: expected an account id or an e-mail address/, database: true },
  'accounts make-operator': { args: [], reason: /missing required argument 'account'/ },
  'accounts suspend': { args: ['someone@example.org'], reason: /required option '--reason <text>' not specified/ },
  'accounts lift': { args: ['someone@example.org'], reason: /required option '--reason <text>' not specified/ },
  'accounts credit': { args: ['someone@example.org', 'lots', '--reason', 'x'], reason: /argument 'amount'.*amount in currency units/ },
  'sip-credentials add': { args: ['someone@example.org'], reason: /missing required argument 'username'/ },
  'sip-credentials list': { args: ['--account', 'nobody'], reason: /account: expected an account id or an e-mail address/, database: true },
  'sip-credentials remove': { args: [], reason: /missing required argument 'username'/ },
  'trunks add': { args: [], reason: /required option '--name <name>' not specified/ },
  'trunks list': { args: ['all'], reason: /too many arguments for 'list'/ },
  'trunks show': { args: ['carrier-a'], reason: /argument 'id'.*whole number/ },
  'trunks update': { args: ['1', '--priority', 'high'], reason: /option '--priority <n>' argument 'high' is invalid/ },
  'trunks remove': { args: ['one'], reason: /argument 'id'.*whole number/ },
  'dids add': { args: ['+14155550100', '--account', 'nobody'], reason: /account: expected an account id or an e-mail address/, database: true },
  'dids assign': { args: ['12', 'none'], reason: /not an E\.164 number/, database: true },
  'dids list': { args: ['--account', 'nobody'], reason: /account: expected an account id or an e-mail address/, database: true },
  'rates import': { args: ['/nonexistent/rates.csv'], reason: /file: cannot read \/nonexistent\/rates\.csv \(ENOENT\)/ },
  'rates list': { args: ['--limit', 'ten'], reason: /option '--limit <n>' argument 'ten' is invalid/ },
  'cdrs export': { args: ['--format', 'xml'], reason: /option '--format <format>' argument 'xml' is invalid/ },
  'holds list': { args: ['nobody'], reason: /account: expected an account id or an e-mail address/, database: true },
  'holds place': { args: ['someone@example.org', '--reason', 'no'], reason: /--reason: at least 3 characters/, database: true },
  'holds lift': { args: ['someone@example.org', 'not-a-hold'], reason: /argument 'hold-id'.*UUID/ },
  'retention run': { args: ['now'], reason: /too many arguments for 'run'/ },
  'policy publish': { args: ['bad version', '--file', '-'], reason: /version: 1 to 40 letters/ },
};

const cases = (database: boolean) =>
  Object.entries(BAD_INPUT)
    .filter(([, input]) => (input.database === true) === database)
    .map(([command, input]) => ({ command, ...input }));

/** A database no command can open: PRIVACY_MASTER_KEY is unset, so opening it ends the command with exit 1. */
const NO_DATABASE = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' };

describe('dialo, every command', () => {
  it('is in the bad-input table, and the table names no command that is gone', () => {
    expect(Object.keys(BAD_INPUT).sort()).toEqual([...runnable].sort());
  });

  it.each([[], ...paths].map((path) => ({ path: path.join(' ') })))('dialo $path --help exits 0 with its usage', async ({ path }) => {
    const run = await runDialo([...(path === '' ? [] : path.split(' ')), '--help'], NO_DATABASE);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: dialo${path === '' ? '' : ` ${path}`} `));
  });

  it.each(cases(false))('dialo $command: bad input is refused before the database, exit 2', async ({ command, args, reason }) => {
    refused(await runDialo([...command.split(' '), ...args], NO_DATABASE), 2, reason);
  });

  for (const dialect of cliDialects) {
    describe(`on ${dialect}`, () => {
      let data: Fixture;
      beforeAll(async () => {
        data = await fixture(dialect, async () => undefined);
      });
      afterAll(() => data?.close());

      it.each(cases(true))('dialo $command: bad input is refused, exit 2', async ({ command, args, reason }) => {
        refused(await runDialo([...command.split(' '), ...args], data.env), 2, reason);
      });
    });
  }
});

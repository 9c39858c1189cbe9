/** `dialo policy publish`: a privacy policy version (core/privacy/policy.ts), as the admin API; audited. */
import type { Command } from 'commander';
import { publishPolicy } from '../../core/privacy/policy.ts';
import { COMMAND_LINE, withDatabase } from '../context.ts';
import { readInput } from '../input.ts';
import { print, UsageError } from '../output.ts';

const VERSION = /^[A-Za-z0-9._-]{1,40}$/;

export function policyCommands(program: Command): void {
  const policy = program.command('policy').description('the privacy policy users acknowledge');

  policy
    .command('publish')
    .description('publish a version; a material one mails every active user and asks them to acknowledge it')
    .argument('<version>', 'its name, e.g. 2026-12 (letters, digits, dots, dashes, underscores)')
    .requiredOption('--file <file>', 'the policy text, or - to read it from stdin')
    .option('--material', 'a material change: users are told and asked to acknowledge it')
    .action(async (version: string, options: { file: string; material?: boolean }, command: Command) => {
      if (!VERSION.test(version)) throw new UsageError('version: 1 to 40 letters, digits, dots, dashes or underscores');
      const text = await readInput(options.file, '--file');
      if (text.trim() === '') throw new UsageError('--file: the file is empty');
      await withDatabase(async (context) => {
        const published = await publishPolicy(context.db, COMMAND_LINE, { version, text, material: options.material === true }, context.config.publicUrl);
        print(command, published, (it) => `published ${it.version}; ${it.notified} user(s) notified`);
      });
    });
}

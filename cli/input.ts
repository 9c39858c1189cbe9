/** Where a command's input text comes from: a file, or stdin when the operator writes `-` (for a container's shell). */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { UsageError } from './output.ts';

/** The text of `file`, or of stdin for `-`; an unreadable file is bad usage naming `argument`. */
export async function readInput(file: string, argument: string): Promise<string> {
  if (file === '-') return text(process.stdin);
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${argument}: cannot read ${file} (${error.code ?? error.message})`);
  });
}

/** Processes as /proc shows them (what `ps` reads): who started whom, and whether one still runs. */
import { readdir, readFile } from 'node:fs/promises';

/** The process table as parent -> children, read from /proc (what `ps` reads). */
async function processTree(): Promise<Map<number, { parent: number; name: string }>> {
  const table = new Map<number, { parent: number; name: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after its last ')'.
    const close = stat?.lastIndexOf(')') ?? -1;
    if (stat === undefined || close < 0) continue;
    const parent = Number(stat.slice(close + 2).split(' ')[1]);
    table.set(Number(entry), { parent, name: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return table;
}

/** Every process below `pid` (down to `depth` generations), with its command name. */
export async function descendantsOf(pid: number, depth = Infinity): Promise<Map<number, string>> {
  const table = await processTree();
  const found = new Map<number, string>();
  const walk = (parent: number, left: number) => {
    if (left === 0) return;
    for (const [child, info] of table) {
      if (info.parent === parent && !found.has(child)) {
        found.set(child, info.name);
        walk(child, left - 1);
      }
    }
  };
  walk(pid, depth);
  return found;
}

/** Whether `pid` still names a live (not zombie) process. */
export async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** `pid`'s own children by command name (e.g. `drachtio` -> its PID). */
export async function childrenOf(pid: number): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const [child, name] of await descendantsOf(pid, 1)) found.set(name, child);
  return found;
}

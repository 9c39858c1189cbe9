import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findOnPath, freePort, locate, spawnServer } from './external.ts';

describe('external server harness', () => {
  it('names what is missing when neither an engine nor a binary is there', async () => {
    const provision = await locate({ name: 'imaginary-server', binary: 'dialo-no-such-binary' });
    expect(provision).toEqual({ via: 'missing', reason: 'imaginary-server not available: no `dialo-no-such-binary` on PATH' });
  });

  it('finds a binary on PATH', async () => {
    const node = await findOnPath('node');
    expect(node).toMatch(/\/node$/);
    expect(await locate({ name: 'node', binary: 'node' })).toEqual({ via: 'path', binary: node });
  });

  it('spawns a server, waits until it listens, and stops it', async () => {
    const port = await freePort();
    const server = await spawnServer(
      process.execPath,
      // The readiness probe hangs up at once; the server must shrug off that reset instead of crashing.
      ['-e', `require('node:net').createServer(s => s.on('error', () => {}).end('hi')).listen(${port}, '127.0.0.1')`],
      { readyPort: port },
    );
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toBe('hi');
    await server.stop();
    expect(server.child.exitCode !== null || server.child.signalCode !== null).toBe(true);
  });

  it('reports the output of a server that dies before listening', async () => {
    const port = await freePort();
    await expect(spawnServer(process.execPath, ['-e', 'console.error("bad flag"); process.exit(3)'], { readyPort: port })).rejects.toThrow(
      /exited \(3\)[\s\S]*bad flag/,
    );
  });
});

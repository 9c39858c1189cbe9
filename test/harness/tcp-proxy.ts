/**
 * A TCP relay on a loopback port in front of a server (drachtio's WebSocket, say), so a test can drop every
 * connection through it the way a network failure or a server restart would, while new connections still get through.
 */
import { connect, createServer, type Socket } from 'node:net';
import { freePort } from './external.ts';

export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection, both sides; the relay keeps accepting new ones. */
  dropConnections(): void;
  /** While on, new connections are closed at once (the network is still down); off, they get through again. */
  refuseConnections(refusing: boolean): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(target.port, target.host);
    track(client);
    track(upstream);
    const dropBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('error', dropBoth).once('close', dropBoth);
    upstream.once('error', dropBoth).once('close', dropBoth);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  return {
    port,
    dropConnections() {
      for (const socket of open) socket.destroy();
    },
    refuseConnections(on) {
      refusing = on;
    },
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

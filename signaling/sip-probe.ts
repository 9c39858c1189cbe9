/**
 * Whether SIP is really served: an OPTIONS sent over UDP to drachtio-server's SIP address, as a phone would send
 * it, goes through drachtio-server to this role's OPTIONS handler and back. A connection that is up while
 * drachtio-server answers nothing (a wedged or stopped server, with /healthz still ok) fails it. drachtio-server
 * refuses to send a request to itself, so the probe has its own socket. The result feeds /readyz.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * The UDP endpoint in drachtio-server's connect answer (`udp/127.0.0.1:5060,tcp/...,ws/...`); undefined when it
 * offers none.
 * @example probeTarget('udp/10.0.0.5:5060,ws/10.0.0.5:8443') // { host: '10.0.0.5', port: 5060 }
 */
export function probeTarget(hostports: string): ProbeTarget | undefined {
  for (const entry of hostports.split(',')) {
    const match = /^udp\/\[?([^\]]+?)\]?:(\d+)$/.exec(entry.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) return { host: match[1], port: Number(match[2]) };
  }
  return undefined;
}

/** Resolves with the final status of one OPTIONS to `target`, or rejects when none came within `timeoutMs`. */
export function probeSip(target: ProbeTarget, timeoutMs: number): Promise<number> {
  const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  const callId = `probe-${randomBytes(8).toString('hex')}`;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to OPTIONS within ${timeoutMs} ms`)), timeoutMs);
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    socket.on('error', (error) => settle(() => reject(error)));
    socket.on('message', (message) => {
      const text = message.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
      // Only the final answer to this probe: a 100 or a stray datagram on this port is not it.
      if (status !== undefined && Number(status) >= 200 && text.includes(callId)) settle(() => resolve(Number(status)));
    });
    socket.bind(0, () => {
      const { address, port } = socket.address();
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      const sentBy = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
      const request = [
        `OPTIONS sip:dialo-probe@${host}:${target.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${sentBy};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`,
        'Max-Forwards: 1',
        `From: <sip:dialo-probe@${host}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:dialo-probe@${host}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, target.port, target.host);
    });
  }).finally(() => socket.close());
}

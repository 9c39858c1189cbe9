/** A minimal SIP-over-WebSocket client (RFC 7118) for tests: sends text frames, matches responses by CSeq. */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export interface SipResponse {
  readonly status: number;
  readonly reason: string;
  header(name: string): string | undefined;
  readonly raw: string;
}

function parseResponse(raw: string): SipResponse {
  const [head = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(statusLine);
  if (!match) throw new Error(`not a SIP response: ${statusLine}`);
  return {
    status: Number(match[1]),
    reason: match[2] ?? '',
    raw,
    header(name) {
      const prefix = `${name.toLowerCase()}:`;
      const values = lines.filter((line) => line.toLowerCase().startsWith(prefix)).map((line) => line.slice(prefix.length).trim());
      return values.length === 0 ? undefined : values.join(', ');
    },
  };
}

export class WsSipClient {
  readonly #pending = new Map<string, (response: SipResponse) => void>();
  readonly host = `${randomBytes(6).toString('hex')}.invalid`;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('SIP/2.0')) return;
      const cseq = /\r\nCSeq:\s*(.+)\r\n/i.exec(text)?.[1]?.trim();
      const callId = /\r\nCall-ID:\s*(.+)\r\n/i.exec(text)?.[1]?.trim();
      const key = `${callId} ${cseq}`;
      const response = parseResponse(text);
      if (response.status >= 200) {
        this.#pending.get(key)?.(response);
        this.#pending.delete(key);
      }
    });
  }

  static async connect(url: string): Promise<WsSipClient> {
    const socket = new WebSocket(url, 'sip');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new WsSipClient(socket);
  }

  /**
   * Sends a request and resolves with its final response. An INVITE's non-2xx final response is ACKed on the same
   * branch, as its client transaction must (RFC 3261 §17.1.1.3).
   */
  request(message: {
    method: string;
    uri: string;
    callId: string;
    cseq: number;
    headers: Record<string, string>;
    body?: { type: string; content: string };
  }): Promise<SipResponse> {
    const via = `SIP/2.0/WS ${this.host};branch=z9hG4bK${randomBytes(8).toString('hex')}`;
    const content = message.body?.content ?? '';
    const lines = [
      `${message.method} ${message.uri} SIP/2.0`,
      `Via: ${via}`,
      `Call-ID: ${message.callId}`,
      `CSeq: ${message.cseq} ${message.method}`,
      'Max-Forwards: 70',
      ...Object.entries(message.headers).map(([name, value]) => `${name}: ${value}`),
      ...(message.body ? [`Content-Type: ${message.body.type}`] : []),
      `Content-Length: ${Buffer.byteLength(content)}`,
    ];
    const key = `${message.callId} ${message.cseq} ${message.method}`;
    const response = new Promise<SipResponse>((resolve, reject) => {
      this.#pending.set(key, resolve);
      setTimeout(() => reject(new Error(`no final response to ${key}`)), 10_000).unref();
    });
    this.socket.send(`${lines.join('\r\n')}\r\n\r\n${content}`);
    if (message.method !== 'INVITE') return response;
    return response.then((final) => {
      if (final.status >= 300) {
        const ack = [
          `ACK ${message.uri} SIP/2.0`,
          `Via: ${via}`,
          `Call-ID: ${message.callId}`,
          `CSeq: ${message.cseq} ACK`,
          'Max-Forwards: 70',
          `From: ${message.headers.From ?? ''}`,
          `To: ${final.header('To') ?? ''}`,
          'Content-Length: 0',
        ];
        this.socket.send(`${ack.join('\r\n')}\r\n\r\n`);
      }
      return final;
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * A minimal SIP-over-WebSocket client (RFC 7118) for tests: sends text frames, matches responses by CSeq, and hands
 * requests that reach it (an INVITE ringing the tab, a BYE) to a handler that may answer them.
 */
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

/** A request the server sent this client, with what answering it takes (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied). */
export interface SipRequest {
  readonly method: string;
  readonly uri: string;
  readonly body: string;
  header(name: string): string | undefined;
  reply(status: number, reason: string, options?: { readonly headers?: Record<string, string>; readonly body?: { type: string; content: string } }): void;
}

function headerLines(head: string): string[] {
  return head.split('\r\n').slice(1);
}

function headerOf(lines: readonly string[], name: string): string | undefined {
  const prefix = `${name.toLowerCase()}:`;
  const values = lines.filter((line) => line.toLowerCase().startsWith(prefix)).map((line) => line.slice(prefix.length).trim());
  return values.length === 0 ? undefined : values.join(', ');
}

export class WsSipClient {
  readonly #pending = new Map<string, (response: SipResponse) => void>();
  readonly host = `${randomBytes(6).toString('hex')}.invalid`;
  #onRequest: ((request: SipRequest) => void) | undefined;
  /** Our To tag per dialog (Call-ID): the same on every response of it. */
  readonly #tags = new Map<string, string>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('SIP/2.0')) return this.#received(text);
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
   * Sends a request and resolves with its final response. An INVITE's final response is ACKed: a non-2xx on the same
   * branch, as its client transaction must (RFC 3261 §17.1.1.3), a 2xx in the dialog it set up.
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
      // RFC 3261 §17.1.1.3: a non-2xx is ACKed on the INVITE's branch; §13.2.2.4: a 2xx by a new request to its Contact.
      const answered = final.status < 300;
      const uri = answered ? (/<([^>]+)>/.exec(final.header('Contact') ?? '')?.[1] ?? message.uri) : message.uri;
      const ack = [
        `ACK ${uri} SIP/2.0`,
        `Via: ${answered ? `SIP/2.0/WS ${this.host};branch=z9hG4bK${randomBytes(8).toString('hex')}` : via}`,
        `Call-ID: ${message.callId}`,
        `CSeq: ${message.cseq} ACK`,
        'Max-Forwards: 70',
        `From: ${message.headers.From ?? ''}`,
        `To: ${final.header('To') ?? ''}`,
        'Content-Length: 0',
      ];
      this.socket.send(`${ack.join('\r\n')}\r\n\r\n`);
      return final;
    });
  }

  /** Every request the server sends from now on goes to `handler` (ACKs too; they take no answer). */
  onRequest(handler: (request: SipRequest) => void): void {
    this.#onRequest = handler;
  }

  #received(raw: string): void {
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    const [method = '', uri = ''] = (head.split('\r\n')[0] ?? '').split(' ');
    const lines = headerLines(head);
    const callId = headerOf(lines, 'Call-ID') ?? '';
    const tag = this.#tags.get(callId) ?? randomBytes(4).toString('hex');
    this.#tags.set(callId, tag);
    const to = headerOf(lines, 'To') ?? '';
    this.#onRequest?.({
      method,
      uri,
      body: rest.join('\r\n\r\n'),
      header: (name) => headerOf(lines, name),
      reply: (status, reason, options = {}) => {
        const content = options.body?.content ?? '';
        const copied = lines.filter((line) => /^(via|from|call-id|cseq|record-route):/i.test(line));
        const response = [
          `SIP/2.0 ${status} ${reason}`,
          ...copied,
          `To: ${/;tag=/.test(to) || status === 100 ? to : `${to};tag=${tag}`}`,
          ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
          ...(options.body ? [`Content-Type: ${options.body.type}`] : []),
          `Content-Length: ${Buffer.byteLength(content)}`,
        ];
        this.socket.send(`${response.join('\r\n')}\r\n\r\n${content}`);
      },
    });
  }

  close(): void {
    this.socket.close();
  }
}

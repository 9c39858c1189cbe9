/**
 * A carrier's media port owned by the test: a UDP socket that decodes the RFC 4733 telephone-events arriving in the
 * RTP sent to it, so a suite can assert which keys reached "the carrier" (test/e2e/browser-dtmf.test.ts).
 */
import { createSocket } from 'node:dgram';

/** RFC 4733 §3.2: events 0-15 are the keys 0-9 * # A-D. */
const KEYS = '0123456789*#ABCD';

export interface TelephoneEventPort {
  readonly port: number;
  /** The keys received so far, in the order they started: one per event whose end packet arrived. */
  keys(): string;
  /** Every RTP packet received, for the failure message. */
  packets(): number;
  close(): Promise<void>;
}

/** The RTP payload after the fixed header, its CSRCs and any header extension (RFC 3550 §5.1, §5.3.1). */
function payloadOf(packet: Buffer): { payloadType: number; timestamp: number; payload: Buffer } | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  const end = packet[0]! & 0x20 ? packet.length - packet[packet.length - 1]! : packet.length;
  if (end < offset) return undefined;
  return { payloadType: packet[1]! & 0x7f, timestamp: packet.readUInt32BE(4), payload: packet.subarray(offset, end) };
}

/**
 * Listens on 127.0.0.1 for RTP whose telephone-events use `payloadType` (the one the scenario's answer declared).
 * RFC 4733 §2.3: one event keeps its RTP timestamp across its packets, and its final packet (E bit) is sent three
 * times; so an event counts once per timestamp, and only once ended.
 */
export async function listenForTelephoneEvents(payloadType: number): Promise<TelephoneEventPort> {
  const socket = createSocket('udp4');
  const events = new Map<number, { key: string; ended: boolean }>();
  let received = 0;
  socket.on('message', (packet) => {
    received += 1;
    const rtp = payloadOf(packet);
    if (rtp === undefined || rtp.payloadType !== payloadType || rtp.payload.length < 4) return;
    const key = KEYS[rtp.payload[0]!] ?? `?${rtp.payload[0]}`;
    const ended = (rtp.payload[1]! & 0x80) !== 0;
    const seen = events.get(rtp.timestamp);
    if (seen === undefined) events.set(rtp.timestamp, { key, ended });
    else seen.ended ||= ended;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: socket.address().port,
    // A Map keeps insertion order: the order the events began.
    keys: () =>
      [...events.values()]
        .filter((event) => event.ended)
        .map((event) => event.key)
        .join(''),
    packets: () => received,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

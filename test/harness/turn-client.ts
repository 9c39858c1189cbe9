/**
 * A TURN Allocate over UDP (RFC 8656 with RFC 8489's long-term credentials), as a browser's first request to a TURN
 * server: it shows whether the server accepts a username and password, without a browser.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;
const ALLOCATE = 0x0003;
const ALLOCATE_SUCCESS = 0x0103;
const ATTR = { username: 0x0006, integrity: 0x0008, errorCode: 0x0009, realm: 0x0014, nonce: 0x0015, transport: 0x0019 } as const;

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function message(type: number, transaction: Buffer, attributes: Buffer[]): Buffer {
  const body = Buffer.concat(attributes);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length, 2);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transaction.copy(header, 8);
  return Buffer.concat([header, body]);
}

/** MESSAGE-INTEGRITY last: the HMAC covers the message with its length already counting the integrity attribute. */
function signed(unsigned: Buffer, key: Buffer): Buffer {
  const withLength = Buffer.from(unsigned);
  withLength.writeUInt16BE(unsigned.length - 20 + 24, 2);
  const integrity = attribute(ATTR.integrity, createHmac('sha1', key).update(withLength).digest());
  return Buffer.concat([withLength, integrity]);
}

function attributesOf(response: Buffer): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= response.length;) {
    const type = response.readUInt16BE(at);
    const length = response.readUInt16BE(at + 2);
    found.set(type, response.subarray(at + 4, at + 4 + length));
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  return found;
}

function exchange(socket: Socket, port: number, request: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port}`)), 5000);
    socket.once('message', (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    socket.send(request, port, '127.0.0.1');
  });
}

/** `success`, or the error code of the authenticated Allocate (401 for credentials the server refuses). */
export async function allocate(port: number, username: string, password: string): Promise<'success' | number> {
  // One socket for both requests: the server's nonce holds for the client address it was given to.
  const socket = createSocket('udp4');
  try {
    return await allocateOn(socket, port, username, password);
  } finally {
    socket.close();
  }
}

async function allocateOn(socket: Socket, port: number, username: string, password: string): Promise<'success' | number> {
  const transport = attribute(ATTR.transport, Buffer.from([17, 0, 0, 0]));
  // The first, unauthenticated request only fetches the realm and nonce (always a 401).
  const challenge = attributesOf(await exchange(socket, port, message(ALLOCATE, randomBytes(12), [transport])));
  const realm = challenge.get(ATTR.realm);
  const nonce = challenge.get(ATTR.nonce);
  if (realm === undefined || nonce === undefined) throw new Error('the TURN server sent no realm and nonce');
  const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
  const request = message(ALLOCATE, randomBytes(12), [
    transport,
    attribute(ATTR.username, Buffer.from(username)),
    attribute(ATTR.realm, realm),
    attribute(ATTR.nonce, nonce),
  ]);
  const response = await exchange(socket, port, signed(request, key));
  if (response.readUInt16BE(0) === ALLOCATE_SUCCESS) return 'success';
  const error = attributesOf(response).get(ATTR.errorCode);
  if (error === undefined) throw new Error(`unexpected TURN response type 0x${response.readUInt16BE(0).toString(16)}`);
  return (error[2]! & 0x07) * 100 + error[3]!;
}

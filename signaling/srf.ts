/**
 * The one module that touches drachtio-srf's connection API, typed for what we use. drachtio-srf ships types
 * with gaps (no per-method registration helpers, `connect()` resolves before the handshake is done), so the
 * casts live here and nowhere else.
 */
import type { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';
import type { DrachtioConfig } from '../config.ts';
import { asDialogHandle, type DialogHandle } from '../core/calls/dialog-handle.ts';
import type { Logger } from '../logger.ts';
import { checkRequest } from './request-checks.ts';
import { isDatabaseUnavailable } from '../db/connect.ts';
import { logAddress } from '../core/client-address.ts';
import { databaseUnavailable, refuse, type SipReply } from './sip-reply.ts';

export type SrfRequest = Srf.SrfRequest & { server?: { address: string; hostport: string } };
export type SrfResponse = Srf.SrfResponse;
export type SipMethod = 'register' | 'options' | 'invite' | 'message' | 'info' | 'subscribe' | 'notify' | 'publish' | 'refer';
export type SipHandler = (req: SrfRequest, res: SrfResponse) => Promise<void>;

export interface SrfConnection {
  readonly srf: Srf;
  /** Resolves with the SIP endpoints drachtio-server offers, once the admin handshake succeeded. */
  readonly connected: Promise<string>;
  /**
   * Routes one SIP method to a handler, for requests that pass {@link checkRequest}; an exception in it becomes a
   * 500, never an unanswered request.
   */
  on(method: SipMethod, handler: SipHandler): void;
  /** Whether the admin connection is up now (handshake done, not closed since). */
  isUp(): boolean;
  /** Calls `listener` each time the connection to drachtio-server closes (drachtio-srf then reconnects by itself); returns the unsubscribe. */
  onLost(listener: () => void): () => void;
  /** Stops taking requests, waits for handlers in flight, then disconnects. */
  close(): Promise<void>;
}

/** Whether a dialog has ended (a BYE came or was sent): drachtio-srf keeps this in an untyped `connected` flag. */
export function dialogEnded(dialog: Srf.Dialog): boolean {
  return (dialog as Srf.Dialog & { connected?: boolean }).connected === false;
}

/**
 * Sends BYE on a dialog that may already be gone (the far end's BYE crossing ours, a media server that hung up):
 * with a callback drachtio-srf's "no such dialog" is dropped instead of becoming an unhandled rejection that ends
 * the process.
 */
export function hangUpDialog(dialog: Srf.Dialog): void {
  if (dialogEnded(dialog)) return;
  try {
    dialog.destroy(undefined, () => undefined);
  } catch {
    // No connection to drachtio-server to send the BYE on: the call is ended on our side all the same.
  }
}

/**
 * What it takes to hang a leg up later, even from another process or after drachtio-server restarted: drachtio's
 * dialog id (a BYE in the dialog it still holds), and the dialog's own identity (RFC 3261 §12: Call-ID, both tags
 * in From and To, the remote target and the address the far end spoke from) to build that BYE anew when it no
 * longer holds it.
 */
interface StoredDialog {
  readonly id: string;
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly target: string;
  readonly nextHop: string | undefined;
}

type DialogInternals = Srf.Dialog & {
  id: string;
  type: 'uas' | 'uac';
  req: SrfRequest;
  res: SrfResponse & { source_address?: string; source_port?: number | string; protocol?: string };
  sip: { callId: string; localTag: string; remoteTag: string };
  remote: { uri: string };
};

/** A dialog's Call-ID and tags as we hold it (what a Replaces names, RFC 3891). */
export function dialogIdsOf(dialog: Srf.Dialog): DialogInternals['sip'] {
  return (dialog as DialogInternals).sip;
}

/**
 * A dialog's handle for core, opaque to it: its {@link StoredDialog}, which `hangUpLeg` reads back.
 * @example await recordCdrState(db, cdrId, answered, { caller_dialog: dialogHandleOf(caller) });
 */
export function dialogHandleOf(dialog: Srf.Dialog): DialogHandle {
  const { id, type, req, res, sip, remote } = dialog as DialogInternals;
  // Seen from our side: as UAS we answered (To is ours, with our tag), as UAC we called (From is ours).
  const far = type === 'uas' ? req : res;
  const address = far.source_address;
  const stored: StoredDialog = {
    id,
    callId: sip.callId,
    from: type === 'uas' ? `${req.get('To')};tag=${sip.localTag}` : req.get('From'),
    to: type === 'uas' ? req.get('From') : res.get('To'),
    target: remote.uri,
    nextHop:
      address === undefined ? undefined : `sip:${address.includes(':') ? `[${address}]` : address}:${far.source_port};transport=${far.protocol ?? 'udp'}`,
  };
  return asDialogHandle(JSON.stringify(stored));
}

/**
 * Sends BYE on a leg by its handle (RFC 3261 §15.1.1): in the dialog drachtio-server still holds (how a restarted
 * process hangs up what its crashed predecessor bridged), else, when drachtio-server no longer knows it (it
 * restarted too), as a request built from the stored dialog. Resolves with the final status, or rejects.
 */
export async function hangUpLeg(srf: Srf, handle: DialogHandle): Promise<number> {
  // Handles written before dialogs were stored whole are drachtio's dialog id alone.
  const stored: StoredDialog | string = handle.startsWith('{') ? (JSON.parse(handle) as StoredDialog) : handle;
  if (typeof stored === 'string') return byeInDialog(srf, stored);
  try {
    return await byeInDialog(srf, stored.id);
  } catch {
    return byeFromStoredDialog(srf, stored);
  }
}

type RawRequest = { on(event: 'response', listener: (res: { status: number }) => void): void };
type RawRequestApi = (opts: object, callback: (error: Error | null, req: RawRequest) => void) => void;

function sendRaw(srf: Srf, opts: object): Promise<number> {
  const request = (srf as unknown as { request: RawRequestApi }).request;
  return new Promise((resolve, reject) => {
    request.call(srf, opts, (error, req) => {
      if (error) return reject(error);
      req.on('response', (res) => resolve(res.status));
    });
  });
}

function byeInDialog(srf: Srf, dialogId: string): Promise<number> {
  // drachtio-server builds an in-dialog request from the dialog; the URI is a placeholder, as drachtio-srf's own.
  return sendRaw(srf, { uri: 'sip:placeholder', method: 'BYE', stackDialogId: dialogId, headers: {} });
}

function byeFromStoredDialog(srf: Srf, dialog: StoredDialog): Promise<number> {
  // Any CSeq above the dialog's so far will do (§12.2.1.1): seconds since the epoch outgrow what a call has used.
  const cseq = Math.floor(Date.now() / 1000) % 2 ** 31;
  return sendRaw(srf, {
    uri: dialog.target,
    method: 'BYE',
    ...(dialog.nextHop === undefined ? {} : { proxy: dialog.nextHop }),
    headers: { 'Call-ID': dialog.callId, From: dialog.from, To: dialog.to, CSeq: `${cseq} BYE` },
  });
}

/** RFC 3261 §25.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF, with exactly one SP between them. */
const REQUEST_LINE = /^[A-Za-z0-9.!%*_+`'~-]+ \S+ SIP\/\d+\.\d+$/;

/**
 * drachtio-server passes on requests whose start line sofia-sip reads liberally (RFC 4475 §3.1.2.9: several SP
 * between its parts); drachtio-srf's parser then fails and drops them, after drachtio-server already sent 100 Trying,
 * so the caller waits forever. These get 400 here, before drachtio-srf sees them; everything else goes on to it.
 */
function refuseMalformedRequestLines(srf: Srf, logger: Logger): void {
  type Message = object;
  type Agent = { wp: EventEmitter; sendMessage(socket: unknown, msg: Message, opts: { stackTxnId: string }): void };
  // drachtio-srf exports its message class at runtime (Srf.SipMessage); its typings leave it out.
  const { SipMessage } = Srf as unknown as { SipMessage: new (fields: { status: number; reason: string; headers: Record<string, string> }) => Message };
  const agent = (srf as unknown as { _app: { client: Agent } })._app.client;
  const deliver = agent.wp.listeners('msg') as ((socket: unknown, msg: string) => void)[];
  agent.wp.removeAllListeners('msg');
  agent.wp.on('msg', (socket: unknown, msg: string) => {
    const leaderEnd = msg.indexOf('\r\n');
    // The wire protocol's leader: <id>|sip|network|<length>|<transport>|<address>|<port>|<time>|<transaction id>|…
    const leader = msg.slice(0, leaderEnd).split('|');
    if (leader[1] === 'sip' && leader[2] === 'network' && leader[8] !== undefined) {
      const startLine = msg.slice(leaderEnd + 2, msg.indexOf('\r\n', leaderEnd + 2));
      if (!startLine.startsWith('SIP/') && !REQUEST_LINE.test(startLine)) {
        logger.debug({ address: logAddress(leader[5]) }, 'malformed request line: 400');
        const reply = new SipMessage({ status: 400, reason: 'Bad Request-Line', headers: { 'X-Reason': 'malformed-request' } });
        return agent.sendMessage(socket, reply, { stackTxnId: leader[8] });
      }
    }
    for (const listener of deliver) listener(socket, msg);
  });
}

export function sendReply(res: SrfResponse, reply: SipReply): void {
  if (reply.reason === undefined) res.send(reply.status, { headers: reply.headers });
  else res.send(reply.status, reply.reason, { headers: reply.headers });
}

/**
 * Connects to drachtio-server's admin port (inbound connection). drachtio-srf reconnects by itself after a
 * drop (a restarted drachtio-server included); `connected` settles on the first successful handshake.
 */
export function connectSrf(config: DrachtioConfig, logger: Logger): SrfConnection {
  const srf = new Srf();
  let up = false;
  const connected = new Promise<string>((resolve) => {
    srf.on('connect', (error: Error | null, hostport: string) => {
      if (error) return logger.error({ err: error }, 'drachtio: handshake failed');
      logger.info({ hostport }, 'drachtio: connected');
      up = true;
      resolve(hostport);
    });
  });
  srf.on('error', (error: Error) => logger.warn({ err: error.message }, 'drachtio: connection error (retrying)'));
  // drachtio-srf passes on its socket's 'close'; its typings know only a 'disconnect' that it never emits.
  const socketEvents = srf as unknown as EventEmitter;
  // Every call in progress listens for the loss (onLost): hundreds of listeners are expected, not a leak.
  socketEvents.setMaxListeners(0);
  socketEvents.on('close', () => {
    up = false;
    logger.warn('drachtio: connection closed (retrying)');
  });
  // drachtio-srf's retry delay grows 1.7x per attempt without bound unless capped: after a drachtio-server that kept
  // crashing (single-machine mode restarts it) the app would wait minutes to reconnect.
  const reconnect = { retryMaxDelay: 5000 };
  void srf.connect({ host: config.host, port: config.port, secret: config.secret, reconnect } as Srf.SrfConfig);
  refuseMalformedRequestLines(srf, logger);
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  return {
    srf,
    connected,
    on(method, handler) {
      srf.use(method, (req, res) => {
        if (closing) return sendReply(res, refuse(503, 'Service Unavailable', 'shutting-down', { 'Retry-After': '5' }));
        const refused = checkRequest({ method: req.method, uri: req.uri, require: req.has('Require') ? req.get('Require') : undefined });
        if (refused !== undefined) return sendReply(res, refused);
        const handled = handler(req, res)
          .catch((error: unknown) => {
            const unavailable = isDatabaseUnavailable(error);
            logger[unavailable ? 'warn' : 'error']({ err: error, method, callId: req.get('Call-ID') }, 'sip handler failed');
            if (res.finalResponseSent) return;
            sendReply(res, unavailable ? databaseUnavailable() : refuse(500, 'Server Internal Error', 'internal-error'));
          })
          .finally(() => inFlight.delete(handled));
        inFlight.add(handled);
      });
    },
    isUp: () => up,
    onLost(listener) {
      socketEvents.on('close', listener);
      return () => void socketEvents.off('close', listener);
    },
    async close() {
      closing = true;
      await Promise.allSettled([...inFlight]);
      // With drachtio-server gone there is no socket to close: drachtio-srf asserts one, and stopping must not throw.
      try {
        srf.disconnect();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'drachtio: nothing to disconnect');
      }
    },
  };
}

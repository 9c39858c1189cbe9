/**
 * A party's in-dialog INFO during a bridged call: DTMF keys (core/calls/dtmf-info.ts decides what it carries) reach
 * the other party. When the two exchange media directly (a desk phone and a carrier) the INFO is relayed and its
 * status returned; when the audio runs through the media server (a browser and an RTP party), the keys are played to
 * the other party as RFC 4733 telephone-events from the media server's channel facing it, since a browser neither sends
 * nor takes INFO DTMF and a carrier may take only the media. Anything else is refused (RFC 6086 §4.2.2, RFC 3261
 * §21.4.13) without touching the call: a non-2xx to an INFO ends only the INFO transaction (RFC 5057 §5.1).
 */
import { readDtmfInfo } from '../../core/calls/dtmf-info.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import type { Dialog } from './dial.ts';
import type { SrfRequest, SrfResponse } from '../srf.ts';

type Side = 'caller' | 'callee';

/** What the bridge needs of the media path: the conversion, present exactly when the audio runs through a media server. */
export type InfoMedia = Pick<MediaPath, 'sendDtmf'>;

/** Answers the INFO; one that cannot be sent any more (drachtio-server gone with the dialog) is dropped. */
function answer(res: SrfResponse, status: number, reason?: string, headers: Readonly<Record<string, string>> = {}): void {
  try {
    if (reason === undefined) res.send(status, { headers });
    else res.send(status, reason, { headers });
  } catch {
    // drachtio-server is gone with the dialog: nothing is left to answer.
  }
}

/** The other leg's final answer to the relayed INFO. */
async function relay(req: SrfRequest, to: Dialog): Promise<number> {
  const contentType = req.get('Content-Type');
  const response = await (to.request as (opts: object) => Promise<SrfResponse>)({
    method: 'INFO',
    headers: contentType === undefined ? {} : { 'Content-Type': contentType },
    body: req.body,
  });
  return response.status;
}

type InfoHandler = (req: SrfRequest, res: SrfResponse) => void;

/** INFO a party sent before its call was bridged, kept unanswered for the bridge (see {@link holdInfo}). */
const held = new WeakMap<Dialog, { readonly pending: [SrfRequest, SrfResponse][]; readonly listener: InfoHandler }>();

/**
 * From a leg's answer until the bridge takes it, its INFO waits unanswered: with no listener drachtio-srf would answer
 * 200 itself and the keys would be lost (a carrier's user can press one while the caller's leg is still being
 * answered). A leg that ends before any bridge answers them 481 (RFC 3261 §12.2.2).
 * @example
 * holdInfo(calleeDialog); // at the answer; bridgeDialogs() later plays what came meanwhile
 */
export function holdInfo(dialog: Dialog): void {
  const pending: [SrfRequest, SrfResponse][] = [];
  const listener: InfoHandler = (req, res) => void pending.push([req, res]);
  dialog.on('info', listener);
  dialog.once('destroy', () => {
    for (const [, res] of pending.splice(0)) answer(res, 481, 'Call/Transaction Does Not Exist');
  });
  held.set(dialog, { pending, listener });
}

/**
 * @example
 * relayInfo(callerDialog, calleeDialog, 'callee', path); // the caller's keys reach the callee
 */
export function relayInfo(from: Dialog, to: Dialog, toSide: Side, media: InfoMedia | undefined): void {
  const handle: InfoHandler = (req, res) => {
    const info = readDtmfInfo({
      contentType: req.has('Content-Type') ? req.get('Content-Type') : undefined,
      infoPackage: req.has('Info-Package') ? req.get('Info-Package') : undefined,
      body: typeof req.body === 'string' ? req.body : '',
    });
    if (info.kind === 'refused') return answer(res, info.status, info.reason, info.headers);
    if (info.kind === 'empty') return answer(res, 200);
    const sendDtmf = media?.sendDtmf;
    const passed = sendDtmf === undefined ? relay(req, to) : sendDtmf(toSide, info.digits, info.durationMs).then(() => 200);
    passed.then(
      (status) => answer(res, status),
      // The bridge has no logger: the sender learns it from the reason phrase, and the call goes on.
      (error: unknown) => answer(res, 500, `DTMF not passed on: ${(error as Error).message}`.slice(0, 80)),
    );
  };
  const waiting = held.get(from);
  held.delete(from);
  if (waiting !== undefined) from.removeListener('info', waiting.listener);
  from.on('info', handle);
  for (const [req, res] of waiting?.pending.splice(0) ?? []) handle(req, res);
}

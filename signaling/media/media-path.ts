/**
 * How one call's audio gets from caller to callee. Two parties of the same kind (RTP <-> RTP, browser <-> browser)
 * exchange SDP directly and the B2BUA only relays it. A browser and an RTP party need a media server between them
 * (FreeSWITCH through media-control): it answers the caller's offer with one endpoint and offers the callee
 * another. Signaling only sees the {@link MediaRelay} port (core/media/media-relay.ts); media-control implements it,
 * main.ts joins them.
 */
import { mediaKindOf, type MediaKind } from '../../core/media/media-kind.ts';
import type { MediaPath, MediaRelay } from '../../core/media/media-relay.ts';

/** What to dial the callee with (signaling/call/dial.ts `DialOffer`): the path's offer, or none and its answerer. */
export function calleeOfferOf(
  path: Pick<MediaPath, 'calleeOffer' | 'answerCallee'>,
): { readonly sdp: string } | { readonly answerOffer: (offer: string) => Promise<string> } {
  if (path.calleeOffer !== undefined) return { sdp: path.calleeOffer };
  if (path.answerCallee === undefined) throw new Error('media path has neither an offer nor an answerer');
  return { answerOffer: path.answerCallee };
}

/** For the call record: the media server a path runs through, or null when the two ends exchange media directly. */
export function mediaServerOf(path: MediaPath): string | null {
  return path.via === 'direct' ? null : path.via;
}

/** For the call record at its end: the path's measured quality (MOS), or null; never fails the call's bookkeeping. */
export async function measuredQuality(path: Pick<MediaPath, 'quality'>): Promise<number | null> {
  const mos = await path.quality?.().catch(() => undefined);
  return mos ?? null;
}

export type MediaPlan = { readonly ok: true; readonly path: MediaPath } | { readonly ok: false; readonly detail: string };

function direct(offer: string): MediaPath {
  return { via: 'direct', calleeOffer: offer, answerCaller: async (answer) => answer, release: () => undefined };
}

/**
 * @example
 * const plan = await planMedia(deps.media, facts.sdp, 'rtp');
 * if (!plan.ok) return refuse(refusal('media-unavailable', plan.detail));
 */
export async function planMedia(relay: MediaRelay | undefined, callerOffer: string, calleeKind: MediaKind): Promise<MediaPlan> {
  const callerKind = mediaKindOf(callerOffer);
  if (callerKind === calleeKind) return { ok: true, path: direct(callerOffer) };
  if (relay === undefined) return { ok: false, detail: `${callerKind} caller to ${calleeKind} callee needs a media server; none configured` };
  try {
    return { ok: true, path: await relay.open(callerOffer, callerKind, calleeKind) };
  } catch (error) {
    return { ok: false, detail: `media server failed: ${(error as Error).message}` };
  }
}

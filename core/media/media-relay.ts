/**
 * The media relay port: how a call flow gets audio between a caller and a callee of different kinds (a browser and
 * an RTP party) through a media server. Owned by core; signaling uses it (signaling/media/media-path.ts),
 * media-control implements it (media-control/relay.ts: FreeSWITCH through drachtio-fsmrf), main.ts joins the two.
 */
import type { MediaKind } from './media-kind.ts';

/** One call's media as the call flows use it, whatever carries it. */
export interface MediaPath {
  /** Where the audio flows: `direct` (SDP passed through) or the media server's name. */
  readonly via: string;
  /**
   * The offer to send the callee. Undefined: the INVITE carries none, the callee offers in its 2xx and
   * {@link answerCallee} answers in the ACK (RFC 3261 §13.2.1) — how a browser callee gets a media server's WebRTC.
   */
  readonly calleeOffer: string | undefined;
  /** Answers the offer a callee made in its 2xx; present exactly when {@link calleeOffer} is undefined. */
  readonly answerCallee?: (calleeOffer: string) => Promise<string>;
  /**
   * The callee sent media before answering (183 with SDP: ringback, announcements): connects it and returns the SDP
   * for the caller's 183. Absent for `direct` paths, where the callee's SDP reaches the caller as it is.
   */
  readonly earlyMedia?: (calleeEarlySdp: string) => Promise<string>;
  /** Turns the answering callee's SDP (its answer, or its offer when it made one) into the answer for the caller. */
  answerCaller(calleeSdp: string): Promise<string>;
  /**
   * Answers a party's new offer mid-call (hold, resume) on its side of the media server. Absent for `direct`
   * paths: the bridge then offers it to the other party, whose answer fits as it is.
   */
  readonly reoffer?: (party: 'caller' | 'callee', sdp: string) => Promise<string>;
  /**
   * Plays DTMF keys to one party as RFC 4733 telephone-events in its media, from the media server's channel facing it:
   * how a key pressed as SIP INFO reaches a party whose audio runs through the media server. Absent for `direct`
   * paths: the bridge relays the INFO itself (signaling/call/info-relay.ts).
   */
  readonly sendDtmf?: (to: 'caller' | 'callee', digits: string, durationMs: number | undefined) => Promise<void>;
  /**
   * How the call sounded so far as the media server measured it: mean opinion score (1-5) of the worse direction, or
   * undefined when nothing was measured. Absent for `direct` paths (no media server hears them).
   */
  readonly quality?: () => Promise<number | undefined>;
  /** Settles with a reason if the media server loses the call's audio; the call should then end. */
  readonly lost?: Promise<string>;
  /**
   * A transfer: a new party of `kind` is to take the place of the party other than `keep`, on this media server.
   * Absent for `direct` paths: signaling offers the new party's SDP to the kept party itself.
   */
  readonly handOver?: (keep: 'caller' | 'callee', kind: MediaKind) => Promise<MediaHandOver>;
  /** Frees whatever the path holds; safe to call more than once. */
  release(): void;
}

/** The media of a call that goes on after a transfer: caller is the kept party, callee the new one. */
export type JoinedMedia = Pick<MediaPath, 'via' | 'reoffer' | 'sendDtmf' | 'lost' | 'quality'>;

/** A new party's channel on the media server of a call being transferred, until it answers or fails. */
export interface MediaHandOver {
  /** The offer to dial the new party with; undefined: dialled without one, {@link answerCallee} answers its 2xx's. */
  readonly calleeOffer: string | undefined;
  readonly answerCallee?: (calleeOffer: string) => Promise<string>;
  /**
   * The new party answered (its SDP: the answer, or its offer already answered): its channel now carries the kept
   * party's audio and the replaced party's channel is let go. The original path's `release` frees it all at the end.
   */
  join(calleeSdp: string): Promise<JoinedMedia>;
  /** The new party never answered: its channel is let go; the call goes on as it was. */
  abandon(): void;
}

/**
 * A media server that can bridge a caller of one kind to a callee of another. Implemented by media-control
 * (drachtio-fsmrf endpoints on a FreeSWITCH pool).
 */
export interface MediaRelay {
  /** A `sdes` callee is offered SRTP only (RTP/SAVP with a=crypto) and refuses a plain-RTP answer. */
  open(callerOffer: string, callerKind: MediaKind, calleeKind: MediaKind): Promise<MediaPath>;
  /** The echo test: answers the caller's offer on a media server channel that plays the caller's audio back to it. */
  echo(callerOffer: string, callerKind: MediaKind): Promise<EchoPath>;
}

/** One echo test call's media: a single channel on the media server, which sends the caller its own audio back. */
export interface EchoPath {
  /** The media server's name. */
  readonly via: string;
  /** The media server's answer to the caller's offer (WebRTC for a browser, plain RTP for a desk phone). */
  readonly answer: string;
  /** Settles with a reason if the media server loses the channel; the call should then end. */
  readonly lost: Promise<string>;
  /** As {@link MediaPath.quality}: the MOS of the audio the media server received from the caller. */
  quality(): Promise<number | undefined>;
  /** Hangs up the channel; safe to call more than once. */
  release(): void;
}

/**
 * One call (placed or received) over a SIP.js session: its state as the app shows it, and what a user can do to
 * it. Media is WebRTC: the peer connection is SIP.js's Web session description handler's.
 */
import { Invitation, Inviter, SessionState, Web, type Session, type URI } from 'sip.js';
import { playRemoteAudio } from './remote-audio.ts';
import { offersHold } from './sdp-hold.ts';
import type { CallState } from './call-state.ts';

export type { CallState };

export interface CallEnd {
  /** The SIP status that refused the call, when one did (e.g. 486, 603, 480). */
  readonly status?: number;
  readonly reason?: string;
  /** Who the other party was transferred to, when the call ended by our transfer. */
  readonly transferredTo?: string;
}

/**
 * How a blind transfer went: the REFER's refusal (its X-Reason when the server gave one), or the final status of the
 * new call as the server reported it (NOTIFY with message/sipfrag, RFC 3515 §2.4.5). A failed transfer leaves the
 * call as it was.
 */
export interface TransferOutcome {
  readonly ok: boolean;
  readonly status: number;
  readonly reason: string;
}

export interface Call {
  readonly direction: 'outgoing' | 'incoming';
  /** Who is on the other end, as the SIP URI's user part (a number for on-net and carrier calls). */
  readonly remoteUser: string;
  readonly state: CallState;
  readonly held: boolean;
  /** The far end put us on hold: its last offer was sendonly or inactive. */
  readonly remoteHeld: boolean;
  readonly muted: boolean;
  /** When it connected (Date.now()), once it has. */
  readonly connectedAt: number | undefined;
  /** Why it failed, once it has. */
  readonly end: CallEnd | undefined;
  answer(): Promise<void>;
  /** Refuses an incoming call that is still ringing (603 Decline). */
  decline(): Promise<void>;
  /** Refuses an incoming call that is still ringing as 486 Busy Here (the user has calls enough). */
  refuseBusy(): Promise<void>;
  /** Ends the call whatever its state: CANCEL while calling, reject while ringing in, BYE once connected. */
  hangup(): Promise<void>;
  /** re-INVITE with our media sendonly; resolves once the far end accepted it. */
  hold(): Promise<void>;
  unhold(): Promise<void>;
  mute(): void;
  unmute(): void;
  /**
   * Re-offers the call on its dialog with fresh ICE credentials (an ICE restart): after the signaling reconnected,
   * or when the network under the media changed; resolves once the far end accepted the new offer.
   */
  restartIce(): Promise<void>;
  /** RFC 4733 telephone-events in the media stream; false when the connection cannot send them. */
  sendDtmf(digits: string): boolean;
  /**
   * Transfer (REFER, RFC 3515): the other party is connected to `target` and this call ends; resolves once the server
   * says how it went. A number or user: blind, the server dials it (`onTrying` is told when it started). Another call
   * of ours: attended, with Replaces naming it (RFC 3891), the two other parties joined and both our calls ended.
   */
  transfer(target: string | Call, onTrying?: () => void): Promise<TransferOutcome>;
  /** Called with each new state; returns the unsubscribe. */
  onStateChange(listener: (state: CallState) => void): () => void;
  /** Called when the far end holds or resumes us; returns the unsubscribe. */
  onRemoteHoldChange(listener: (remoteHeld: boolean) => void): () => void;
  /** The WebRTC connection once media is being negotiated (for getStats and the UI's audio meter). */
  peerConnection(): RTCPeerConnection | undefined;
  /** This user's record of the call (its id in GET /calls), once the server named it: when ringing in, or answered. */
  readonly recordId: string | undefined;
}

/** How long ICE may stay disconnected (a blip usually recovers by itself within a few seconds) before it is restarted. */
const ICE_DISCONNECTED_MS = 4000;

/** The header signaling names our record of the call in (signaling/sip-reply.ts CALL_RECORD_HEADER). */
export const CALL_RECORD_HEADER = 'X-Dialo-Call-Record';

function webHandler(session: Session): Web.SessionDescriptionHandler | undefined {
  const handler = session.sessionDescriptionHandler;
  return handler instanceof Web.SessionDescriptionHandler ? handler : undefined;
}

function setTracksEnabled(session: Session, which: 'senders' | 'receivers', enabled: boolean): void {
  const connection = webHandler(session)?.peerConnection;
  if (connection === undefined) return;
  const parts = which === 'senders' ? connection.getSenders() : connection.getReceivers();
  for (const part of parts) if (part.track) part.track.enabled = enabled;
}

/** Each call's session: what an attended transfer names the other call by (its dialog, in Replaces). */
const sessionOf = new WeakMap<Call, Session>();

/** Wraps a session; `remoteAudio` plays the far end once connected; `microphone` is what answering asks getUserMedia for. */
export function wrapSession(
  session: Inviter | Invitation,
  remoteAudio: HTMLAudioElement | undefined,
  microphone: () => MediaStreamConstraints,
  addressOf: (target: string) => URI | undefined,
): Call & {
  readonly rejected: (status: number, reason: string) => void;
  readonly progressed: () => void;
  readonly named: (recordId: string | undefined) => void;
} {
  const incoming = session instanceof Invitation;
  let recordId = incoming ? session.request.getHeader(CALL_RECORD_HEADER) : undefined;
  let state: CallState = incoming ? 'ringing' : 'calling';
  let end: CallEnd | undefined;
  let held = false;
  let remoteHeld = false;
  let connectedAt: number | undefined;
  let muted = false;
  let stopAudio: (() => void) | undefined;
  const listeners = new Set<(state: CallState) => void>();
  const remoteHoldListeners = new Set<(remoteHeld: boolean) => void>();
  // SIP.js hands us each re-INVITE it accepted: the far end's hold or resume.
  session.delegate = {
    ...session.delegate,
    onInvite(request) {
      const next = offersHold(request.body);
      if (next === remoteHeld) return;
      remoteHeld = next;
      for (const listener of remoteHoldListeners) listener(next);
    },
  };

  const moveTo = (next: CallState) => {
    if (state === next || state === 'ended' || state === 'failed') return;
    state = next;
    for (const listener of listeners) listener(next);
  };

  session.stateChange.addListener((sessionState) => {
    if (sessionState === SessionState.Established) {
      const connection = webHandler(session)?.peerConnection;
      if (connection !== undefined && remoteAudio !== undefined) stopAudio = playRemoteAudio(connection, remoteAudio);
      connectedAt ??= Date.now();
      if (connection !== undefined) restartIceWhenBroken(connection);
      moveTo('connected');
    } else if (sessionState === SessionState.Terminated) {
      stopAudio?.();
      // SIP.js terminates a refused Inviter just before, in the same turn, it hands the response to the request
      // delegate that records `end` (phone.ts): move on a microtask later so listeners of 'failed' see the status.
      queueMicrotask(() => moveTo(state === 'connected' ? 'ended' : 'failed'));
    }
  });

  let restarting: Promise<void> | undefined;
  // One at a time: a reconnection and an ICE failure can ask together, and SIP.js sends one re-INVITE at a time.
  const restartIce = () => (restarting ??= reOfferWithIceRestart().finally(() => (restarting = undefined)));
  const reOfferWithIceRestart = () =>
    new Promise<void>((resolve, reject) => {
      if (state !== 'connected') return reject(new Error(`cannot restart ICE on a call that is ${state}`));
      const before = session.sessionDescriptionHandlerOptionsReInvite as Web.SessionDescriptionHandlerOptions;
      // Only this offer restarts ICE: later re-INVITEs (hold) keep the credentials it negotiated.
      const settle = () => (session.sessionDescriptionHandlerOptionsReInvite = before);
      session.sessionDescriptionHandlerOptionsReInvite = {
        ...before,
        offerOptions: { ...before.offerOptions, iceRestart: true },
      } as Web.SessionDescriptionHandlerOptions;
      session
        .invite({
          requestDelegate: {
            onAccept: () => {
              settle();
              resolve();
            },
            onReject: (response) => {
              settle();
              reject(new Error(`ICE restart refused: ${response.message.statusCode} ${response.message.reasonPhrase}`));
            },
          },
        })
        .catch((error: unknown) => {
          settle();
          reject(error as Error);
        });
    });

  // The network under the media changed without the signaling dropping (a new Wi-Fi, a VPN): ICE fails, or stays
  // disconnected past a blip, and a restart finds a path again. A failed re-offer (signaling down too) is left to the
  // reconnection, which restarts ICE itself (phone.ts resume()).
  let disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  const restartIceWhenBroken = (connection: RTCPeerConnection) => {
    connection.addEventListener('iceconnectionstatechange', () => {
      clearTimeout(disconnectedTimer);
      if (state !== 'connected') return;
      if (connection.iceConnectionState === 'failed') void restartIce().catch(() => undefined);
      if (connection.iceConnectionState === 'disconnected')
        disconnectedTimer = setTimeout(() => {
          if (connection.iceConnectionState === 'disconnected') void restartIce().catch(() => undefined);
        }, ICE_DISCONNECTED_MS);
    });
  };

  // The offer SIP.js makes in answer to a re-INVITE without one restarts ICE: the server sends that only to move this
  // call onto another peer (an attended transfer joining us to a media server), and an ICE restart makes us, the
  // offerer, the controlling agent that peer expects (Chrome re-determines the role then). Our own re-offers do not.
  const answeringReOffers = (options: Web.SessionDescriptionHandlerOptions) =>
    (session.sessionDescriptionHandlerOptionsReInvite = {
      ...options,
      offerOptions: { ...options.offerOptions, iceRestart: true },
    } as Web.SessionDescriptionHandlerOptions);
  answeringReOffers(session.sessionDescriptionHandlerOptionsReInvite as Web.SessionDescriptionHandlerOptions);
  const reInvite = (hold: boolean) =>
    new Promise<void>((resolve, reject) => {
      if (state !== 'connected') return reject(new Error(`cannot ${hold ? 'hold' : 'resume'} a call that is ${state}`));
      if (held === hold) return resolve();
      // SIP.js's Web handler reads `hold` from these options when it builds the re-INVITE's offer.
      const options = { ...session.sessionDescriptionHandlerOptionsReInvite, hold } as Web.SessionDescriptionHandlerOptions;
      session.sessionDescriptionHandlerOptionsReInvite = {
        ...options,
        offerOptions: { ...options.offerOptions, iceRestart: false },
      } as Web.SessionDescriptionHandlerOptions;
      session
        .invite({
          requestDelegate: {
            onAccept: () => {
              answeringReOffers(options);
              held = hold;
              setTracksEnabled(session, 'receivers', !hold);
              setTracksEnabled(session, 'senders', !hold && !muted);
              resolve();
            },
            onReject: (response) => {
              answeringReOffers({ ...options, hold: held });
              reject(new Error(`re-INVITE refused: ${response.message.statusCode} ${response.message.reasonPhrase}`));
            },
          },
        })
        .catch(reject);
    });

  const call: ReturnType<typeof wrapSession> = {
    direction: incoming ? 'incoming' : 'outgoing',
    remoteUser: session.remoteIdentity.uri.user ?? '',
    get state() {
      return state;
    },
    get held() {
      return held;
    },
    get remoteHeld() {
      return remoteHeld;
    },
    get connectedAt() {
      return connectedAt;
    },
    get muted() {
      return muted;
    },
    get end() {
      return end;
    },
    get recordId() {
      return recordId;
    },
    named(id) {
      recordId = id;
    },
    rejected(status, reason) {
      end = { status, reason };
    },
    progressed() {
      moveTo('ringing');
    },
    async answer() {
      if (!(session instanceof Invitation)) throw new Error('only an incoming call can be answered');
      await session.accept({ sessionDescriptionHandlerOptions: { constraints: microphone() } });
    },
    async decline() {
      if (!(session instanceof Invitation)) throw new Error('only an incoming call can be declined');
      end = { status: 603, reason: 'Decline' };
      await session.reject({ statusCode: 603 });
    },
    async refuseBusy() {
      if (!(session instanceof Invitation)) throw new Error('only an incoming call can be refused');
      end = { status: 486, reason: 'Busy Here' };
      await session.reject({ statusCode: 486 });
    },
    async hangup() {
      switch (session.state) {
        case SessionState.Established:
          await session.bye();
          return;
        case SessionState.Initial:
        case SessionState.Establishing:
          if (session instanceof Inviter) await session.cancel();
          else await session.reject();
          return;
        default:
          // Already ending or over: nothing to send.
          return;
      }
    },
    restartIce,
    hold: () => reInvite(true),
    unhold: () => reInvite(false),
    mute() {
      muted = true;
      setTracksEnabled(session, 'senders', false);
    },
    unmute() {
      muted = false;
      setTracksEnabled(session, 'senders', !held);
    },
    sendDtmf(digits) {
      return webHandler(session)?.sendDtmf(digits) ?? false;
    },
    transfer(target, onTrying) {
      return new Promise<TransferOutcome>((resolve, reject) => {
        if (state !== 'connected') return reject(new Error(`cannot transfer a call that is ${state}`));
        const other = typeof target === 'string' ? undefined : sessionOf.get(target);
        const uri = typeof target === 'string' ? addressOf(target) : other;
        if (uri === undefined) return reject(new Error(`not a callable address or call of ours: ${typeof target === 'string' ? target : target.remoteUser}`));
        // A call that ends before the server's final word (a hang-up meanwhile) must not leave the transfer pending.
        const ended = (sessionState: SessionState) => {
          if (sessionState === SessionState.Terminated) finish({ ok: false, status: 0, reason: 'call ended first' });
        };
        const finish = (outcome: TransferOutcome) => {
          session.stateChange.removeListener(ended);
          resolve(outcome);
        };
        session.stateChange.addListener(ended);
        session
          .refer(uri, {
            requestDelegate: {
              onReject: (response) =>
                finish({
                  ok: false,
                  status: response.message.statusCode ?? 0,
                  reason: response.message.getHeader('X-Reason') ?? response.message.reasonPhrase ?? '',
                }),
            },
            onNotify: (notification) => {
              notification.accept().catch(() => undefined);
              const line = /^SIP\/2\.0 (\d{3}) ?(.*)$/m.exec(notification.request.body);
              if (line === null) return;
              const status = Number(line[1]);
              if (status < 200) return onTrying?.();
              if (status < 300) end = { transferredTo: typeof target === 'string' ? target : target.remoteUser };
              finish({ ok: status < 300, status, reason: line[2]?.trim() ?? '' });
            },
          })
          .catch(reject);
      });
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onRemoteHoldChange(listener) {
      remoteHoldListeners.add(listener);
      return () => remoteHoldListeners.delete(listener);
    },
    peerConnection: () => webHandler(session)?.peerConnection,
  };
  sessionOf.set(call, session);
  return call;
}

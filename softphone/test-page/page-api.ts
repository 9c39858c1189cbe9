/**
 * What the test page exposes as `window.dialo` for a browser test to drive the phone through `page.evaluate`.
 * Plain data only (it crosses into the test process), and no DOM types, so Node-side code can import it.
 */
export interface PhoneSettings {
  readonly webSocketUrl: string;
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  /** As POST /sip/credentials hands them out (RTCIceServer's shape). */
  readonly iceServers?: readonly { urls: string[]; username?: string; credential?: string }[];
  readonly iceTransportPolicy?: 'all' | 'relay';
}

export type CallStateName = 'calling' | 'ringing' | 'connected' | 'ended' | 'failed';

export interface CallSnapshot {
  readonly id: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly remoteUser: string;
  readonly state: CallStateName;
  readonly held: boolean;
  /** The SIP status that refused it, if one did. */
  readonly endStatus: number | null;
  /** From placing (or receiving) the call to its connection, as the page measured it. */
  readonly connectedAfterMs: number | null;
}

export interface InboundAudio {
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  /** Energy of the decoded audio so far (0 for silence): the far end's microphone is really heard. */
  readonly totalAudioEnergy: number;
  /** The audio transceiver's negotiated direction (`sendrecv`, `sendonly`, `recvonly`, `inactive`). */
  readonly direction: string | null;
  /** The nominated ICE pair the media takes, e.g. `udp host 127.0.0.1:50000 -> host 127.0.0.1:50002`. */
  readonly mediaPath: string | null;
}

export interface PageApi {
  /** Connects and registers; rejects with the registrar's refusal. */
  start(settings: PhoneSettings): Promise<void>;
  /** Places a call; returns its id. */
  dial(target: string): string;
  /** The next incoming call (one already received and not yet taken, or the next to arrive). */
  nextIncoming(): Promise<CallSnapshot>;
  answer(id: string): Promise<void>;
  decline(id: string): Promise<void>;
  hangup(id: string): Promise<void>;
  hold(id: string): Promise<void>;
  unhold(id: string): Promise<void>;
  /**
   * Presses keys; resolves with the tones the call's RTCDTMFSender actually played (RFC 4733 events in the media),
   * '' when the connection cannot send them (telephone-event not negotiated).
   */
  sendDtmf(id: string, digits: string): Promise<string>;
  /** Blind transfer of the call's other party to `target`; resolves with how it went (phone/call.ts TransferOutcome). */
  transfer(id: string, target: string): Promise<{ readonly ok: boolean; readonly status: number; readonly reason: string }>;
  /** Attended transfer: the call's other party is joined to the other party of the call `otherId` (Replaces naming it). */
  transferToCall(id: string, otherId: string): Promise<{ readonly ok: boolean; readonly status: number; readonly reason: string }>;
  snapshot(id: string): CallSnapshot;
  /** Resolves once the call is in `state`; rejects as soon as it ends in another. */
  untilState(id: string, state: CallStateName): Promise<CallSnapshot>;
  /** inbound-rtp audio statistics of the call's peer connection. */
  inboundAudio(id: string): Promise<InboundAudio>;
  /**
   * Resolves once the phone, after its WebSocket dropped, has connected again, registered and re-offered its calls
   * with an ICE restart (the page does this by itself on a drop, retrying each second).
   */
  untilResumed(): Promise<void>;
  /**
   * The ICE username fragments of the call's current local and remote descriptions (an ICE restart changes the
   * local one, and the far end's if it restarts too), and the local one of the candidate pair media takes now.
   */
  iceUfrags(id: string): Promise<{ readonly local: string | null; readonly remote: string | null; readonly inUse: string | null }>;
  stop(): Promise<void>;
}

/**
 * The softphone's SIP user agent: connects to the signaling WebSocket, registers with the short-lived credentials
 * `POST /sip/credentials` hands out, places calls and hands incoming ones to the app. The only module (with call.ts)
 * that talks to sip.js.
 */
import { Inviter, Registerer, RegistererState, UserAgent, type Invitation } from 'sip.js';
import { CALL_RECORD_HEADER, wrapSession, type Call } from './call.ts';
import { withTimeout } from './with-timeout.ts';

export interface PhoneOptions {
  /** The signaling WebSocket, e.g. `wss://sip.example.org:8443`. */
  readonly webSocketUrl: string;
  readonly username: string;
  readonly password: string;
  /** The SIP domain: the address of record is `sip:<username>@<realm>`; calls go to `sip:<number>@<realm>`. */
  readonly realm: string;
  readonly displayName?: string;
  /** Where the far end is heard; without one, audio is received but not played. */
  readonly remoteAudio?: HTMLAudioElement;
  /** STUN/TURN servers for ICE; none by default (host candidates only). */
  readonly iceServers?: readonly RTCIceServer[];
  /** `relay`: media only through TURN, so the far end never learns this device's addresses; default `all`. */
  readonly iceTransportPolicy?: RTCIceTransportPolicy;
  /** Registration lifetime asked of the registrar, seconds. */
  readonly registerExpires?: number;
  /**
   * This device's id (a UUID) across phones: sent as `+sip.instance` (RFC 5626 §4.1), so the registrar replaces the
   * binding of a previous connection of the same tab instead of keeping a dead one.
   */
  readonly instanceId?: string;
  /** The microphone calls use (placed and answered), asked at each call: a deviceId, or undefined for the browser's default. */
  readonly microphoneId?: () => string | undefined;
}

export interface Phone {
  /** Resolves once the registrar has accepted us; rejects with the status it refused us with. */
  register(): Promise<void>;
  unregister(): Promise<void>;
  /** Calls a number (or a `sip:` URI); the call is placed at once. */
  call(target: string): Call;
  /** Called for every incoming call; returns the unsubscribe. */
  onIncoming(listener: (call: Call) => void): () => void;
  /**
   * Called when the signaling WebSocket closes without `stop()` (server gone, network lost): the registration is
   * dead and this phone stays offline (it does not reconnect by itself); returns the unsubscribe.
   */
  onDisconnect(listener: () => void): () => void;
  /**
   * After {@link onDisconnect}: connects the same user agent again (same +sip.instance and Contact), registers, and
   * re-offers each call in progress with an ICE restart on its dialog, so the calls survive the drop (the signaling
   * server waits CALL_RECONNECT_GRACE_SECONDS for this). Rejects if the connection or the registration fails.
   */
  resume(): Promise<void>;
  /** Unregisters (if registered) and closes the WebSocket. Never hangs: each step has a time limit. */
  stop(): Promise<void>;
}

/** How long a goodbye step may take before we drop the connection anyway (SIP.js can wait ~80 s for a dead peer). */
const STOP_STEP_MS = 3000;

/** Connects the user agent; `register()` is separate so the app can show "connecting" and "registering" apart. */
export async function createPhone(options: PhoneOptions): Promise<Phone> {
  const incoming = new Set<(call: Call) => void>();
  // Calls in progress, re-offered on resume().
  const live = new Set<Call>();
  const keep = (call: Call): Call => {
    live.add(call);
    call.onStateChange((state) => {
      if (state === 'ended' || state === 'failed') live.delete(call);
    });
    return call;
  };
  const disconnected = new Set<() => void>();
  const microphone = (): MediaStreamConstraints => {
    const deviceId = options.microphoneId?.();
    return { audio: deviceId === undefined ? true : { deviceId: { exact: deviceId } }, video: false };
  };
  /** A number or user at our domain, or a SIP URI as it is: where a call or a transfer goes. */
  const addressOf = (target: string) => UserAgent.makeURI(target.startsWith('sip:') ? target : `sip:${target}@${options.realm}`);
  const uri = UserAgent.makeURI(`sip:${options.username}@${options.realm}`);
  if (uri === undefined) throw new Error(`not a SIP address: ${options.username}@${options.realm}`);
  const userAgent = new UserAgent({
    uri,
    transportOptions: { server: options.webSocketUrl },
    authorizationUsername: options.username,
    authorizationPassword: options.password,
    displayName: options.displayName ?? '',
    ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId, instanceIdAlwaysAdded: true }),
    logLevel: 'warn',
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: [...(options.iceServers ?? [])], iceTransportPolicy: options.iceTransportPolicy ?? 'all' },
      // Host candidates are gathered within milliseconds; do not hold the INVITE for slow STUN/TURN past this.
      iceGatheringTimeout: 2000,
    },
    delegate: {
      onInvite(invitation: Invitation) {
        const call = keep(wrapSession(invitation, options.remoteAudio, microphone, addressOf));
        for (const listener of incoming) listener(call);
      },
      // SIP.js calls this only while started: not for the close that stop() makes.
      onDisconnect() {
        for (const listener of disconnected) listener();
      },
    },
  });
  const registerer = new Registerer(userAgent, { expires: options.registerExpires ?? 600 });
  await userAgent.start();

  const register = () =>
    new Promise<void>((resolve, reject) => {
      registerer
        .register({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => reject(new Error(`registration refused: ${response.message.statusCode} ${response.message.reasonPhrase}`)),
          },
        })
        .catch(reject);
    });

  return {
    register,
    async resume() {
      await userAgent.reconnect();
      await register();
      await Promise.all([...live].filter((call) => call.state === 'connected').map((call) => call.restartIce()));
    },
    async unregister() {
      if (registerer.state !== RegistererState.Registered) return;
      await new Promise<void>((resolve, reject) => {
        registerer
          .unregister({
            requestDelegate: { onAccept: () => resolve(), onReject: (response) => reject(new Error(`unregister refused: ${response.message.statusCode}`)) },
          })
          .catch(reject);
      });
    },
    call(target) {
      const targetUri = addressOf(target);
      if (targetUri === undefined) throw new Error(`not a callable address: ${target}`);
      // earlyMedia: a 183's answer is used at once, so carriers' ringback and announcements are heard (our B2BUA never
      // forks the INVITE, which SIP.js requires for it).
      const inviter = new Inviter(userAgent, targetUri, { earlyMedia: true, sessionDescriptionHandlerOptions: { constraints: microphone() } });
      const call = wrapSession(inviter, options.remoteAudio, microphone, addressOf);
      keep(call);
      inviter
        .invite({
          requestDelegate: {
            onProgress: () => call.progressed(),
            onAccept: (response) => call.named(response.message.getHeader(CALL_RECORD_HEADER)),
            onReject: (response) => call.rejected(response.message.statusCode ?? 0, response.message.reasonPhrase ?? ''),
          },
        })
        // A call that cannot even be sent (no microphone, transport down) ends as failed through its session state.
        .catch(() => undefined);
      return call;
    },
    onIncoming(listener) {
      incoming.add(listener);
      return () => incoming.delete(listener);
    },
    onDisconnect(listener) {
      disconnected.add(listener);
      return () => disconnected.delete(listener);
    },
    async stop() {
      if (registerer.state === RegistererState.Registered) {
        await withTimeout(
          new Promise<void>((resolve) => {
            registerer.unregister({ requestDelegate: { onAccept: () => resolve(), onReject: () => resolve() } }).catch(() => resolve());
          }),
          STOP_STEP_MS,
        );
      }
      await withTimeout(registerer.dispose(), STOP_STEP_MS);
      await withTimeout(userAgent.stop(), STOP_STEP_MS);
    },
  };
}

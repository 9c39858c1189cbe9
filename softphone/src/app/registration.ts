/**
 * Keeps the phone online for the signed-in account: short-lived SIP credentials and the signaling WebSocket's
 * address from `POST /sip/credentials`, then REGISTER; before the credentials expire, a new phone registers with
 * fresh ones and replaces the old (never during a call: that would drop it). When the WebSocket drops during a call,
 * the same phone connects again and restarts ICE on the call (it survives); otherwise a new phone connects at once,
 * and again every few seconds until it registers. Every step is reported as a status line.
 */
import type { Call } from '../phone/call.ts';
import { createPhone, type Phone } from '../phone/phone.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

interface SipCredentials {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly expiresAt: string;
  readonly webSocketUrl: string | null;
  /** STUN/TURN for calls that go browser to browser across NATs (the operator's WEBRTC_ICE_URLS). */
  readonly iceServers: readonly RTCIceServer[];
  /** What to dial for the echo test (the operator's ECHO_TEST_NUMBER), or null when it is off. */
  readonly echoTestNumber: string | null;
}

/**
 * This tab's device id, kept across reconnections, credential renewals and reloads of the tab (sessionStorage): the
 * registrar replaces the tab's previous binding with the new one rather than ringing a connection that is gone.
 */
function tabInstanceId(): string {
  const key = 'dialo.sip-instance';
  const known = sessionStorage.getItem(key);
  if (known !== null) return known;
  const created = crypto.randomUUID();
  sessionStorage.setItem(key, created);
  return created;
}

/** Connecting (or reconnecting), registered (calls can be made and received), or offline (with the reason why). */
export type LineState = 'connecting' | 'registered' | 'offline';

export interface PhoneLineOptions {
  readonly remoteAudio: HTMLAudioElement;
  /** The status line, and which of three states it is in (the page marks them apart, beside the words). */
  readonly showStatus: (status: string, state: LineState) => void;
  readonly onIncoming: (call: Call) => void;
  /** True while a call is in progress: renewal waits for it to end. */
  readonly busy: () => boolean;
  /** Told true when a call in progress waits for the dropped connection to come back, false once it is back (or given up). */
  readonly onReconnecting?: (on: boolean) => void;
  /** Told the echo test's number (null: off) each time credentials come. */
  readonly onEchoTestNumber?: (number: string | null) => void;
  /** The microphone calls use: a deviceId, or undefined for the browser's default (see PhoneOptions). */
  readonly microphoneId?: () => string | undefined;
}

export interface PhoneLine {
  /** The registered phone, if there is one. */
  readonly phone: Phone | undefined;
  /** Unregisters and stops renewing. */
  stop(): Promise<void>;
}

/** Renew this long before the credentials expire (or halfway through a shorter lifetime). */
const RENEW_BEFORE_MS = 120_000;
const RETRY_MS = 10_000;
/** Between attempts to bring a dropped connection back while a call waits on it (the server's grace is 30 s by default). */
const RESUME_RETRY_MS = 2000;

export function startPhoneLine(api: ApiClient, options: PhoneLineOptions): PhoneLine {
  let phone: Phone | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  /** A registered phone with its credentials' expiry, or undefined; `quiet` keeps the status during renewals. */
  const connect = async (quiet: boolean): Promise<{ phone: Phone; expiresAt: number } | 'not-set-up' | undefined> => {
    if (!quiet) options.showStatus('Connecting…', 'connecting');
    let credentials: SipCredentials;
    try {
      credentials = await api.post<SipCredentials>('/sip/credentials');
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) {
        options.showStatus('Calling is not set up on this server', 'offline');
        return 'not-set-up';
      }
      options.showStatus(`Offline: ${messageOf(error)}`, 'offline');
      return undefined;
    }
    options.onEchoTestNumber?.(credentials.echoTestNumber ?? null);
    if (credentials.webSocketUrl === null) {
      options.showStatus('Calling is not set up on this server (no SIP_WS_URL)', 'offline');
      return 'not-set-up';
    }
    let created: Phone | undefined;
    try {
      created = await createPhone({
        ...credentials,
        webSocketUrl: credentials.webSocketUrl,
        remoteAudio: options.remoteAudio,
        instanceId: tabInstanceId(),
        iceServers: credentials.iceServers,
        microphoneId: options.microphoneId,
      });
      if (!quiet) options.showStatus('Registering…', 'connecting');
      await created.register();
      created.onIncoming(options.onIncoming);
      const registered = created;
      registered.onDisconnect(() => void connectionLost(registered));
      options.showStatus('Registered', 'registered');
      return { phone: created, expiresAt: Date.parse(credentials.expiresAt) };
    } catch (error) {
      await created?.stop();
      options.showStatus(`Not registered: ${messageOf(error)}`, 'offline');
      return undefined;
    }
  };

  const scheduleRenewal = (expiresAt: number) => {
    const lifetime = expiresAt - Date.now();
    clearTimeout(timer);
    timer = setTimeout(renew, Math.max(lifetime - RENEW_BEFORE_MS, lifetime / 2));
  };

  /** Replaces the phone with a freshly registered one; `whenIdle` waits for a call in progress to end first. */
  const renew = async (whenIdle = true) => {
    if (stopped) return;
    if (whenIdle && options.busy()) {
      timer = setTimeout(renew, RETRY_MS);
      return;
    }
    const next = await connect(true);
    if (stopped) {
      if (typeof next === 'object') await next.phone.stop();
      return;
    }
    if (typeof next !== 'object') {
      timer = setTimeout(() => void renew(whenIdle), RETRY_MS);
      return;
    }
    const old = phone;
    phone = next.phone;
    scheduleRenewal(next.expiresAt);
    await old?.stop();
  };

  // Declared as a function so connect() can refer to it before this point.
  async function connectionLost(lost: Phone) {
    if (stopped || lost !== phone) return;
    options.showStatus('Connection lost: reconnecting…', 'connecting');
    // A call in progress lives on this phone's user agent: the same one connects again (same instance and Contact)
    // and restarts ICE on the call, which signaling keeps for CALL_RECONNECT_GRACE_SECONDS meanwhile.
    if (options.busy()) options.onReconnecting?.(true);
    while (!stopped && lost === phone && options.busy()) {
      try {
        await lost.resume();
        options.onReconnecting?.(false);
        options.showStatus('Registered', 'registered');
        return;
      } catch {
        await new Promise((retry) => setTimeout(retry, RESUME_RETRY_MS));
      }
    }
    options.onReconnecting?.(false);
    if (stopped || lost !== phone) return;
    phone = undefined;
    clearTimeout(timer);
    // Its goodbye cannot reach anyone; do not hold the reconnection up for its time limits.
    void lost.stop();
    // A call in progress went down with its signaling: reconnect now rather than wait for it.
    await renew(false);
  }

  void connect(false).then(async (first) => {
    if (typeof first !== 'object') return;
    if (stopped) return void (await first.phone.stop());
    phone = first.phone;
    scheduleRenewal(first.expiresAt);
  });

  return {
    get phone() {
      return phone;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const current = phone;
      phone = undefined;
      await current?.stop();
    },
  };
}

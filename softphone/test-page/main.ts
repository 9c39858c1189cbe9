/**
 * The page browser tests load: the real phone module, driven through `window.dialo` (page-api.ts) instead of a UI.
 */
import type { Call } from '../src/phone/call.ts';
import { createPhone, type Phone } from '../src/phone/phone.ts';
import type { CallSnapshot, PageApi } from './page-api.ts';

declare global {
  interface Window {
    dialo: PageApi;
  }
}

interface Tracked {
  readonly call: Call;
  readonly startedAt: number;
  connectedAt: number | null;
}

const calls = new Map<string, Tracked>();
const unclaimed: string[] = [];
const incomingWaiters: ((id: string) => void)[] = [];
let phone: Phone | undefined;
let nextId = 1;
const resumeWaiters: (() => void)[] = [];

/** As the app does (src/app/registration.ts): on a drop, the same phone connects again until it is back. */
function resumeWhenDropped(dropped: Phone): void {
  dropped.onDisconnect(() => {
    const attempt = () =>
      void dropped.resume().then(
        () => resumeWaiters.splice(0).forEach((resumed) => resumed()),
        () => setTimeout(attempt, 1000),
      );
    attempt();
  });
}

function track(call: Call): string {
  const id = `call-${nextId++}`;
  const tracked: Tracked = { call, startedAt: performance.now(), connectedAt: null };
  call.onStateChange((state) => {
    if (state === 'connected') tracked.connectedAt = performance.now();
  });
  calls.set(id, tracked);
  return id;
}

function tracked(id: string): Tracked {
  const found = calls.get(id);
  if (found === undefined) throw new Error(`no call ${id}`);
  return found;
}

function snapshot(id: string): CallSnapshot {
  const { call, startedAt, connectedAt } = tracked(id);
  return {
    id,
    direction: call.direction,
    remoteUser: call.remoteUser,
    state: call.state,
    held: call.held,
    endStatus: call.end?.status ?? null,
    connectedAfterMs: connectedAt === null ? null : Math.round(connectedAt - startedAt),
  };
}

function started(): Phone {
  if (phone === undefined) throw new Error('phone not started');
  return phone;
}

const remoteAudio = document.querySelector<HTMLAudioElement>('#remote-audio') ?? undefined;

window.dialo = {
  async start(settings) {
    phone = await createPhone({ ...settings, ...(remoteAudio ? { remoteAudio } : {}) });
    phone.onIncoming((call) => {
      const id = track(call);
      const waiter = incomingWaiters.shift();
      if (waiter) waiter(id);
      else unclaimed.push(id);
    });
    await phone.register();
    resumeWhenDropped(phone);
  },
  dial: (target) => track(started().call(target)),
  async nextIncoming() {
    const waiting = unclaimed.shift();
    const id = waiting ?? (await new Promise<string>((resolve) => incomingWaiters.push(resolve)));
    return snapshot(id);
  },
  answer: (id) => tracked(id).call.answer(),
  decline: (id) => tracked(id).call.decline(),
  hangup: (id) => tracked(id).call.hangup(),
  hold: (id) => tracked(id).call.hold(),
  unhold: (id) => tracked(id).call.unhold(),
  transfer: (id, target) => tracked(id).call.transfer(target),
  transferToCall: (id, otherId) => tracked(id).call.transfer(tracked(otherId).call),
  async sendDtmf(id, digits) {
    const { call } = tracked(id);
    const dtmf = call
      .peerConnection()
      ?.getSenders()
      .find((sender) => sender.track?.kind === 'audio')?.dtmf;
    if (!dtmf) return '';
    // The sender takes tones only once DTLS is up, which on a loaded machine can come after the SIP answer.
    for (let waited = 0; !dtmf.canInsertDTMF && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const played: string[] = [];
    const finished = new Promise<void>((resolve) => {
      // The sender reports each tone as it starts, then '' once the queue is empty.
      dtmf.ontonechange = (event) => (event.tone === '' ? resolve() : played.push(event.tone));
    });
    if (!call.sendDtmf(digits)) return '';
    await finished;
    return played.join('');
  },
  snapshot,
  untilState(id, state) {
    const { call } = tracked(id);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (call.state === state) {
          stopListening();
          resolve(snapshot(id));
        } else if (call.state === 'ended' || call.state === 'failed') {
          stopListening();
          reject(new Error(`${id} is ${call.state} (status ${call.end?.status ?? 'none'}), not ${state}`));
        }
      };
      const stopListening = call.onStateChange(check);
      check();
    });
  },
  untilResumed: () => new Promise((resolve) => resumeWaiters.push(resolve)),
  async iceUfrags(id) {
    const connection = tracked(id).call.peerConnection();
    const ufrag = (description: RTCSessionDescription | null | undefined) => /^a=ice-ufrag:(\S+)/m.exec(description?.sdp ?? '')?.[1] ?? null;
    let inUse: string | null = null;
    const stats = await connection?.getStats();
    stats?.forEach((report: { type: string; selectedCandidatePairId?: string }) => {
      if (report.type !== 'transport' || report.selectedCandidatePairId === undefined) return;
      const pair = stats.get(report.selectedCandidatePairId) as { localCandidateId?: string } | undefined;
      const candidate = pair?.localCandidateId === undefined ? undefined : (stats.get(pair.localCandidateId) as { usernameFragment?: string } | undefined);
      inUse = candidate?.usernameFragment ?? null;
    });
    return { local: ufrag(connection?.currentLocalDescription), remote: ufrag(connection?.currentRemoteDescription), inUse };
  },
  async inboundAudio(id) {
    const connection = tracked(id).call.peerConnection();
    if (connection === undefined) return { packetsReceived: 0, bytesReceived: 0, totalAudioEnergy: 0, direction: null, mediaPath: null };
    const stats = await connection.getStats();
    let packetsReceived = 0;
    let bytesReceived = 0;
    let totalAudioEnergy = 0;
    let mediaPath: string | null = null;
    const candidate = (id: string | undefined) => {
      const found =
        id === undefined ? undefined : (stats.get(id) as { candidateType?: string; address?: string; port?: number; protocol?: string } | undefined);
      return found === undefined ? '?' : `${found.candidateType} ${found.address}:${found.port}`;
    };
    stats.forEach(
      (report: {
        type: string;
        kind?: string;
        packetsReceived?: number;
        bytesReceived?: number;
        totalAudioEnergy?: number;
        nominated?: boolean;
        state?: string;
        localCandidateId?: string;
        remoteCandidateId?: string;
      }) => {
        if (report.type === 'inbound-rtp' && report.kind === 'audio') {
          packetsReceived += report.packetsReceived ?? 0;
          bytesReceived += report.bytesReceived ?? 0;
          totalAudioEnergy += report.totalAudioEnergy ?? 0;
        }
        if (report.type === 'candidate-pair' && report.nominated && report.state === 'succeeded') {
          mediaPath = `${candidate(report.localCandidateId)} -> ${candidate(report.remoteCandidateId)}`;
        }
      },
    );
    const transceiver = connection.getTransceivers().find((candidate) => candidate.receiver.track.kind === 'audio');
    return { packetsReceived, bytesReceived, totalAudioEnergy, direction: transceiver?.currentDirection ?? null, mediaPath };
  },
  async stop() {
    await phone?.stop();
    phone = undefined;
  },
};

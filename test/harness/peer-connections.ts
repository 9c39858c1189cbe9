/**
 * The page's RTCPeerConnections, for tests that read a call's media (its stats, its senders' tracks) without anything
 * in the app for them: an init script (`context.addInitScript(recordPeerConnections)`) keeps each one the page makes
 * in `dialoPeerConnections`. Init scripts run outside the page's Content-Security-Policy.
 */

/** As much of an RTCPeerConnection as the tests read (Node's types have no DOM). */
export interface RecordedPeerConnection {
  getStats(): Promise<{ forEach(each: (report: { type: string; kind?: string; packetsReceived?: number; totalAudioEnergy?: number }) => void): void }>;
  getSenders(): { readonly track: { getSettings(): { deviceId?: string } } | null }[];
}

/** The page's globals as the init script leaves them: read them in `page.evaluate` as `globalThis as unknown as PeerConnectionPage`. */
export interface PeerConnectionPage {
  RTCPeerConnection: new (...args: unknown[]) => RecordedPeerConnection;
  dialoPeerConnections: RecordedPeerConnection[];
}

/** Runs in the page before the app: wraps RTCPeerConnection so each one made is kept. */
export function recordPeerConnections(): void {
  const page = globalThis as unknown as PeerConnectionPage;
  const Native = page.RTCPeerConnection;
  const made: RecordedPeerConnection[] = [];
  page.dialoPeerConnections = made;
  page.RTCPeerConnection = class extends Native {
    constructor(...args: unknown[]) {
      super(...args);
      made.push(this);
    }
  };
}

/**
 * Whether a browser leg's WebSocket flow still reaches it. drachtio-server tells the application nothing when a
 * WebSocket client's connection closes, and the browser's media may still flow peer to peer, so the B2BUA asks: an
 * in-dialog OPTIONS every interval. Any response (even 405) means reached; a failure (drachtio-server has no flow to
 * send it on, or no answer in time) means the leg is lost, from the first failed probe. A re-INVITE from the leg (the
 * tab reconnected from the same instance and restarted ICE: RFC 5626, RFC 3261 §12.2.2 target refresh) or a
 * later probe that is answered means it is back.
 */
import type { Dialog } from './dial.ts';

/** A leg the browser holds over a WebSocket: its Contact (the dialog's remote target) says transport=ws or wss. */
export function isWebSocketLeg(dialog: Dialog): boolean {
  return /;transport=wss?\b/i.test(String((dialog as { remote?: { uri?: string } }).remote?.uri ?? ''));
}

/**
 * Answers that mean the leg was not reached: drachtio-server answers 410 Gone itself, at once, to a request for a
 * WebSocket client whose connection has closed (seen against a real drachtio-server); 408, 430 (RFC 5626 flow
 * failed) and 503 are what a timeout or a proxy on the way would say.
 */
const UNREACHED = new Set([408, 410, 430, 503]);

export interface LegWatch {
  /** The leg spoke (a re-INVITE): it is back. */
  heard(): void;
  stop(): void;
}

/**
 * @example
 * const watch = watchLeg(dialog, 10_000, { lost: (at) => startGrace(at), back: () => cancelGrace() });
 */
export function watchLeg(dialog: Dialog, probeMs: number, on: { lost(at: Date): void; back(): void }): LegWatch {
  let lostAt: Date | undefined;
  let probing = false;
  let stopped = false;
  const reached = () => {
    if (lostAt === undefined) return;
    lostAt = undefined;
    on.back();
  };
  const probe = () => {
    if (probing || stopped) return;
    probing = true;
    const sent = new Date();
    // A bounded wait: over a dead flow drachtio-server may hold a non-INVITE transaction to its Timer F (32 s).
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, probeMs, 'timeout').unref());
    // drachtio-srf's typings ask a whole request where it reads only the method (lib/dialog.js request()).
    const asked = dialog
      .request({ method: 'OPTIONS' } as Parameters<Dialog['request']>[0])
      .then((response) => (UNREACHED.has(response.status) ? ('failed' as const) : ('answered' as const)));
    void Promise.race([asked, timeout])
      .catch(() => 'failed' as const)
      .then((outcome) => {
        probing = false;
        if (stopped) return;
        if (outcome === 'answered') return reached();
        if (lostAt !== undefined) return;
        lostAt = sent;
        on.lost(sent);
      });
  };
  const timer = setInterval(probe, probeMs);
  timer.unref();
  return {
    heard: reached,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/**
 * The callee has no live device but may have browsers that asked to be woken for calls (issue 16): push to them, ring
 * the caller (180) and hold the call until a device registers, the caller cancels or PUSH_RING_SECONDS pass.
 * core/calls/push-ring.ts decides each step; this file sends, waits and answers. The wait is woken by the registrar
 * (core/registration-watch.ts), never by polling the location store.
 */
import type { CallState, InPhase } from '../../core/calls/call-state.ts';
import { pushRingStep, type PushRingStep } from '../../core/calls/push-ring.ts';
import { sendIncomingCallPush } from '../../core/push/incoming-call-push.ts';
import type { RegistrationWatch } from '../../core/registration-watch.ts';
import { liveRegistrations } from '../../core/registrations.ts';
import { failureReply } from '../refusals.ts';
import { sendReply, type SrfResponse } from '../srf.ts';
import type { CallDeps, InviteFacts, PushRing } from './call-context.ts';
import { answerStopped, stoppedState } from './ringing-stop.ts';

export type Devices = Awaited<ReturnType<typeof liveRegistrations>>;

export type Woken =
  /** Nothing was pushed (no subscription, or no push service took one): the caller is refused offline. */
  | { readonly kind: 'offline' }
  /** The caller has its final answer (480 missed with push, 487) and the records their last state. */
  | { readonly kind: 'ended' }
  /** A device registered: ring these, from the call's state. */
  | { readonly kind: 'devices'; readonly devices: Devices; readonly state: CallState };

/** Resolves with the first of the deadline and the caller's CANCEL; `stop` clears both. */
function callerGivesUpOrTimesOut(cancelled: AbortSignal, ringMs: number): { readonly ended: Promise<'deadline' | 'cancel'>; stop(): void } {
  let stop = () => {};
  const ended = new Promise<'deadline' | 'cancel'>((resolve) => {
    if (cancelled.aborted) return resolve('cancel');
    const onCancel = () => resolve('cancel');
    const timer = setTimeout(() => resolve('deadline'), ringMs);
    cancelled.addEventListener('abort', onCancel, { once: true });
    stop = () => {
      clearTimeout(timer);
      cancelled.removeEventListener('abort', onCancel);
    };
  });
  return { ended, stop };
}

/**
 * @example
 * const woken = await wakeByPush({ ...deps, push }, res, facts, accountId, { calleeCdr, record });
 * if (woken.kind === 'devices') ring(woken.devices);
 */
export async function wakeByPush(
  deps: CallDeps & { readonly push: PushRing },
  res: SrfResponse,
  facts: InviteFacts,
  calleeAccountId: string,
  records: { readonly calleeCdr: string; record(state: CallState): Promise<void> },
): Promise<Woken> {
  const { push } = deps;
  // Watching before the push goes out: a browser can wake and register before the push call returns.
  const watch = push.watches.watch(calleeAccountId);
  const waitEnd = callerGivesUpOrTimesOut(facts.cancelled, push.ringMs);
  try {
    // The callee's own record id is the push's opaque call id: the ringing device gets it again (X-Dialo-Call-Record).
    const counts = await sendIncomingCallPush(deps.db, deps.vault, push.transport, calleeAccountId, records.calleeCdr, push.serviceHosts);
    deps.logger.info({ pushes: counts }, 'no live device: woke the callee by push');
    const pushed = pushRingStep({ phase: 'setup' }, { type: 'pushed', counts });
    if (pushed.next !== 'ring-caller') {
      deps.metrics.pushRings.inc({ result: 'undelivered' });
      return { kind: 'offline' };
    }
    const waking = pushed.state;
    deps.metrics.callsWaking.inc();
    try {
      await records.record(waking);
      if (!facts.cancelled.aborted && !res.finalResponseSent) res.send(180);
      return await waitForDevice(deps, res, facts, calleeAccountId, waking, watch, waitEnd.ended, records);
    } finally {
      deps.metrics.callsWaking.dec();
    }
  } finally {
    waitEnd.stop();
    watch.close();
  }
}

async function waitForDevice(
  deps: CallDeps,
  res: SrfResponse,
  facts: InviteFacts,
  calleeAccountId: string,
  waking: InPhase<'waking'>,
  watch: RegistrationWatch,
  ended: Promise<'deadline' | 'cancel'>,
  records: { record(state: CallState): Promise<void> },
): Promise<Woken> {
  for (;;) {
    const happened = await Promise.race([watch.next().then(() => 'registered' as const), ended]);
    let devices: Devices = [];
    let step: PushRingStep;
    if (happened === 'registered') {
      devices = await liveRegistrations(deps.db, calleeAccountId, new Date());
      step = pushRingStep(waking, { type: 'registered', liveDevices: devices.length });
    } else {
      step = pushRingStep(waking, { type: happened });
    }
    if (step.next === 'ring-devices') {
      deps.metrics.pushRings.inc({ result: 'woken' });
      return { kind: 'devices', devices, state: waking };
    }
    if (step.next !== 'end') continue;
    const stopped = step.state.phase === 'cancelled';
    deps.metrics.pushRings.inc({ result: stopped ? 'cancelled' : 'missed' });
    // Recorded before the caller hears it, so the record never lags what the caller saw. Stopped: by the caller's
    // CANCEL or an operator's hang-up (ringing-stop.ts).
    await records.record(stopped ? stoppedState(facts, waking) : step.state);
    if (stopped) answerStopped(facts, res);
    // What a caller hears when devices rang and none answered.
    else if (!res.finalResponseSent) sendReply(res, failureReply({ reason: 'no-answer' }));
    return { kind: 'ended' };
  }
}

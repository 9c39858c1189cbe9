import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { bridgeDialogs } from '../../../signaling/call/bridge.ts';
import type { Dialog } from '../../../signaling/call/dial.ts';
import { holdInfo } from '../../../signaling/call/info-relay.ts';

/**
 * A leg as drachtio-srf hands it over: an emitter with `connected` (false once a BYE was handled) and destroy(),
 * which like srf's answers an error through its callback, or without one as a rejected promise.
 */
function leg(options: { connected?: boolean; destroyFails?: boolean } = {}) {
  const dialog = Object.assign(new EventEmitter(), {
    connected: options.connected ?? true,
    destroyed: 0,
    destroy(_opts?: unknown, done?: (error?: Error) => void) {
      dialog.destroyed += 1;
      const error = options.destroyFails ? new Error('unable to find dialog for dialog id provided') : undefined;
      if (done) return done(error);
      return error ? Promise.reject(error) : Promise.resolve();
    },
  });
  return dialog;
}

const bridge = (caller: ReturnType<typeof leg>, callee: ReturnType<typeof leg>, maxSeconds?: number) =>
  bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, maxSeconds === undefined ? {} : { maxSeconds });

describe('bridge', () => {
  it('ends when one leg hangs up, hanging up the other', async () => {
    const [caller, callee] = [leg(), leg()];
    const call = bridge(caller, callee);
    callee.emit('destroy');
    expect(await call.ended).toMatchObject({ by: 'callee', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([1, 0]);
  });

  it('ends at once when a leg was already hung up before the bridge was made (BYE right after the answer)', async () => {
    const [caller, callee] = [leg({ connected: false }), leg()];
    const call = bridge(caller, callee, 3600);
    expect(await call.ended).toMatchObject({ by: 'caller', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([0, 1]);
  });

  it('takes a leg that is already gone when we hang it up (BYEs crossing) as ended, not as an error', async () => {
    const [caller, callee] = [leg(), leg({ destroyFails: true })];
    const call = bridge(caller, callee);
    caller.emit('destroy');
    expect(await call.ended).toMatchObject({ by: 'caller' });
    expect(callee.destroyed).toBe(1);
  });
});

/** An in-dialog INFO as drachtio-srf hands it to a listener, and the answer the bridge gives it. */
function infoRequest(headers: Record<string, string>, body: string) {
  const find = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  let answered!: (reply: { status: number; reason?: string; headers: Record<string, string> }) => void;
  const reply = new Promise<{ status: number; reason?: string; headers: Record<string, string> }>((resolve) => (answered = resolve));
  const req = { body, has: (name: string) => find(name) !== undefined, get: (name: string) => find(name) };
  const res = {
    send(status: number, reasonOrOpts?: string | { headers?: Record<string, string> }, opts?: { headers?: Record<string, string> }) {
      if (typeof reasonOrOpts === 'string') answered({ status, reason: reasonOrOpts, headers: opts?.headers ?? {} });
      else answered({ status, headers: reasonOrOpts?.headers ?? {} });
    },
  };
  return { req, res, reply };
}

/** A leg that answers the requests sent in its dialog with `status` and keeps them. */
function answeringLeg(status: number) {
  const sent: { method: string; headers: Record<string, string>; body: string }[] = [];
  return Object.assign(leg(), {
    sent,
    request: async (opts: { method: string; headers: Record<string, string>; body: string }) => (sent.push(opts), { status }),
  });
}

describe('bridge: DTMF sent as SIP INFO', () => {
  const DTMF = { 'Content-Type': 'application/dtmf-relay' };

  it('relays the INFO to the other leg when the two exchange media directly, and answers with its status', async () => {
    const [caller, callee] = [answeringLeg(200), answeringLeg(200)];
    bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, {});
    const info = infoRequest(DTMF, 'Signal=5\r\nDuration=160\r\n');
    caller.emit('info', info.req, info.res);
    expect(await info.reply).toMatchObject({ status: 200 });
    expect(callee.sent).toEqual([{ method: 'INFO', headers: DTMF, body: 'Signal=5\r\nDuration=160\r\n' }]);

    const [phone, carrier] = [answeringLeg(200), answeringLeg(486)];
    bridgeDialogs(phone as unknown as Dialog, carrier as unknown as Dialog, {});
    const refused = infoRequest({ 'Content-Type': 'application/dtmf' }, '#');
    phone.emit('info', refused.req, refused.res);
    expect(await refused.reply).toMatchObject({ status: 486 });
  });

  it('plays the keys to the other party through the media server when the audio runs through it', async () => {
    const [caller, callee] = [answeringLeg(200), answeringLeg(200)];
    const played: [string, string, number | undefined][] = [];
    const sendDtmf = async (to: 'caller' | 'callee', digits: string, durationMs: number | undefined) => void played.push([to, digits, durationMs]);
    bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, { media: { sendDtmf } });
    const fromCarrier = infoRequest({ 'content-type': 'application/dtmf' }, '7');
    callee.emit('info', fromCarrier.req, fromCarrier.res);
    expect(await fromCarrier.reply).toMatchObject({ status: 200 });
    const fromPhone = infoRequest(DTMF, 'Signal=#\r\nDuration=250');
    caller.emit('info', fromPhone.req, fromPhone.res);
    expect(await fromPhone.reply).toMatchObject({ status: 200 });
    expect(played).toEqual([
      ['caller', '7', undefined],
      ['callee', '#', 250],
    ]);
    expect([caller.sent, callee.sent]).toEqual([[], []]);
  });

  it('answers 500 when the media server cannot play the keys, and the call goes on', async () => {
    const [caller, callee] = [answeringLeg(200), answeringLeg(200)];
    const call = bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, {
      media: { sendDtmf: () => Promise.reject(new Error('that leg is not up yet')) },
    });
    const info = infoRequest(DTMF, 'Signal=1');
    caller.emit('info', info.req, info.res);
    expect(await info.reply).toMatchObject({ status: 500, reason: 'DTMF not passed on: that leg is not up yet' });
    expect([caller.destroyed, callee.destroyed]).toEqual([0, 0]);
    call.hangUp('normal');
  });

  it('refuses what is not DTMF (415 naming the two types, 469 for an Info Package) and relays nothing', async () => {
    const [caller, callee] = [answeringLeg(200), answeringLeg(200)];
    bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, {});
    const xml = infoRequest({ 'Content-Type': 'application/media_control+xml' }, '<media_control/>');
    caller.emit('info', xml.req, xml.res);
    expect(await xml.reply).toEqual({ status: 415, reason: 'Unsupported Media Type', headers: { Accept: 'application/dtmf-relay, application/dtmf' } });
    const packaged = infoRequest({ ...DTMF, 'Info-Package': 'foo' }, 'Signal=1');
    callee.emit('info', packaged.req, packaged.res);
    expect(await packaged.reply).toMatchObject({ status: 469, headers: { 'Recv-Info': '' } });
    const keepalive = infoRequest({}, '');
    caller.emit('info', keepalive.req, keepalive.res);
    expect(await keepalive.reply).toMatchObject({ status: 200 });
    expect([caller.sent, callee.sent]).toEqual([[], []]);
  });

  it('keeps an INFO sent between the answer and the bridge unanswered, and plays it once bridged', async () => {
    const [caller, callee] = [answeringLeg(200), answeringLeg(200)];
    holdInfo(callee as unknown as Dialog);
    const early = infoRequest(DTMF, 'Signal=3');
    callee.emit('info', early.req, early.res);
    let answered = false;
    void early.reply.then(() => (answered = true));
    await Promise.resolve();
    expect(answered).toBe(false);
    const played: string[] = [];
    bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, { media: { sendDtmf: async (to, digits) => void played.push(`${to} ${digits}`) } });
    expect(await early.reply).toMatchObject({ status: 200 });
    expect(played).toEqual(['caller 3']);
    expect(callee.listenerCount('info')).toBe(1);
  });

  it('answers 481 to an INFO kept for a leg that ended before any bridge', async () => {
    const callee = answeringLeg(200);
    holdInfo(callee as unknown as Dialog);
    const early = infoRequest(DTMF, 'Signal=3');
    callee.emit('info', early.req, early.res);
    callee.emit('destroy');
    expect(await early.reply).toMatchObject({ status: 481 });
  });
});

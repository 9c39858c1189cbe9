/**
 * FreeSWITCH between a browser (WebRTC: ICE, DTLS-SRTP, Opus) and an RTP party (a carrier, a desk phone): each side
 * gets its own channel on one media server, and the two are bridged there once the callee answers. It implements
 * core's MediaRelay port (core/media/media-relay.ts); main.ts hands it to signaling, so neither adapter imports the other.
 */
import type Endpoint from 'drachtio-fsmrf/lib/endpoint.js';
import type Mrf from 'drachtio-fsmrf';
import { srtpSdpProblem } from '../core/calls/trunk-security.ts';
import type { MediaKind } from '../core/media/media-kind.ts';
import type { EchoPath, JoinedMedia, MediaHandOver, MediaPath, MediaRelay } from '../core/media/media-relay.ts';
import type { Logger } from '../logger.ts';
import { answerOffer, type AnsweringLeg } from './fs-leg.ts';
import type { MediaServerPool } from './media-server-pool.ts';

/** A path through a media server: unlike a direct one it always answers re-offers, measures quality and can be lost. */
export type RelayedPath = MediaPath & Required<Pick<MediaPath, 'reoffer' | 'lost' | 'quality' | 'sendDtmf' | 'handOver'>>;

/** The text of an event-socket reply (drachtio-modesl's event, untyped). */
function bodyOf(reply: unknown): string {
  return (reply as { getBody?: () => string } | undefined)?.getBody?.() ?? '';
}

/** How long the end of a call waits for the media server's quality score before recording without one. */
const QUALITY_WAIT_MS = 2000;

/** The media server's dialplan reads this to choose what a channel offered without SDP (3pcc) speaks. */
const OFFER_KIND_HEADER = 'X-Dialo-Media';

export class NoMediaServer extends Error {
  constructor() {
    super('no media server connected');
    this.name = 'NoMediaServer';
  }
}

/**
 * @example
 * const relay = new FreeSwitchRelay(pool, logger);
 * const path = await relay.open(browserOffer, 'webrtc', 'rtp'); // path.calleeOffer goes to the carrier
 * const browserAnswer = await path.answerCaller(carrierAnswer);
 */
export class FreeSwitchRelay implements MediaRelay {
  constructor(
    private readonly pool: MediaServerPool,
    private readonly logger: Logger,
  ) {}

  async open(callerOffer: string, callerKind: MediaKind, calleeKind: MediaKind): Promise<RelayedPath> {
    const ms = this.pool.pick();
    if (ms === undefined) throw new NoMediaServer();
    if (callerKind === calleeKind) throw new Error(`a ${callerKind} caller and callee need no media server`);
    if (calleeKind === 'sdes') return toSrtpCarrier(ms, callerOffer, this.logger);
    return callerKind === 'webrtc' ? browserToRtp(ms, callerOffer, this.logger) : rtpToBrowser(ms, callerOffer, this.logger);
  }

  /** The echo test: one channel answers the caller's offer and plays its audio back (FreeSWITCH's `echo`). */
  async echo(callerOffer: string, callerKind: MediaKind): Promise<EchoPath> {
    const ms = this.pool.pick();
    if (ms === undefined) throw new NoMediaServer();
    return callerKind === 'webrtc' ? browserEcho(ms, callerOffer, this.logger) : rtpEcho(ms, callerOffer, this.logger);
  }
}

/** Ends the path's channels together (one after the other can leave the second hanging) and reports a lost channel. */
class Channels {
  private released = false;
  private readonly endpoints = new Set<Endpoint>();
  private readonly legs = new Set<AnsweringLeg>();
  private reportLoss!: (reason: string) => void;
  readonly lost = new Promise<string>((resolve) => (this.reportLoss = resolve));

  constructor(private readonly logger: Logger) {}

  add(endpoint: Endpoint): Endpoint {
    if (this.released) {
      void endpoint.destroy().catch(() => undefined);
      return endpoint;
    }
    this.endpoints.add(endpoint);
    // FreeSWITCH hung the channel up (BYE: RTP timeout, operator) or its event socket went (crash): nobody hears
    // anything any more.
    // One let go of on purpose (drop) is no loss.
    const gone = (why: string) => () => {
      if (this.endpoints.delete(endpoint) && !this.released) this.reportLoss(why);
    };
    endpoint.dialog.once('destroy', gone('media server hung up a channel'));
    endpoint.once('destroy', gone('media server connection lost'));
    return endpoint;
  }

  addLeg(leg: AnsweringLeg): void {
    if (this.released) return leg.hangUp();
    this.legs.add(leg);
  }

  /** Lets go of a channel (a transfer replaced its party), without that counting as the call's audio lost. */
  drop(endpoint: Endpoint): void {
    this.endpoints.delete(endpoint);
    void endpoint.destroy().catch(() => undefined);
  }

  dropLeg(leg: AnsweringLeg): void {
    this.legs.delete(leg);
    leg.hangUp();
  }

  fail(reason: string, error: unknown): void {
    this.logger.warn({ err: (error as Error).message }, reason);
    if (!this.released) this.reportLoss(reason);
  }

  /**
   * The worse inbound MOS of the path's channels, as FreeSWITCH scored the audio it received on each (RTP loss and
   * jitter, ITU-T G.107 E-model): asked to compute it now (`uuid_set_media_stats`), then read.
   */
  async quality(ms: Mrf.MediaServer): Promise<number | undefined> {
    // A media server that is gone answers nothing, ever: the call's bookkeeping must not wait on it.
    if (!ms.connected()) return undefined;
    // On each channel's own event socket: the server's shared one serializes every command of every call, and under
    // load this queue held channels open past their calls until FreeSWITCH ran out of sessions (bench/calls.ts --media).
    const measuring = Promise.all(
      [...this.endpoints].map(async (endpoint) => {
        await endpoint.api('uuid_set_media_stats', endpoint.uuid);
        const mos = Number.parseFloat(bodyOf(await endpoint.api('uuid_getvar', [endpoint.uuid, 'rtp_audio_in_mos'])));
        return Number.isFinite(mos) && mos > 0 ? mos : undefined;
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const unmeasured = new Promise<(number | undefined)[]>((resolve) => (timer = setTimeout(() => resolve([]), QUALITY_WAIT_MS)));
    const scores = await Promise.race([measuring, unmeasured]);
    clearTimeout(timer);
    const measured = scores.filter((mos): mos is number => mos !== undefined);
    return measured.length === 0 ? undefined : Math.min(...measured);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const endpoint of this.endpoints) void endpoint.destroy().catch(() => undefined);
    for (const leg of this.legs) leg.hangUp();
  }
}

/**
 * Plays keys out of a channel as RFC 4733 telephone-events to whoever is on its far side (the infra/freeswitch profile's
 * `dtmf-type` rfc2833): FreeSWITCH's `uuid_send_dtmf <uuid> <digits>[@<ms>]`, on the channel's own event socket.
 */
async function playDtmf(endpoint: Endpoint | undefined, digits: string, durationMs: number | undefined): Promise<void> {
  if (endpoint === undefined) throw new Error('that leg is not up yet');
  const reply = bodyOf(await endpoint.api('uuid_send_dtmf', [endpoint.uuid, durationMs === undefined ? digits : `${digits}@${durationMs}`]));
  if (reply.startsWith('-ERR')) throw new Error(`media server: ${reply.trim()}`);
}

/**
 * Offers `sdp` to a channel (re-INVITE) and returns FreeSWITCH's answer. Straight on the SIP dialog: Endpoint.modify
 * also re-reads every channel variable over the event socket, which took ~75 ms of each call's setup here.
 */
async function renegotiate(endpoint: Endpoint, sdp: string): Promise<string> {
  return endpoint.dialog.modify(sdp);
}

function ready(ms: Mrf.MediaServer, channels: Channels, opts: Parameters<Mrf.MediaServer['createEndpoint']>[0]): Promise<Endpoint> {
  return ms.createEndpoint(opts).then((endpoint) => channels.add(endpoint));
}

/**
 * Answers the caller's offer on a channel of its own and bridges that to `carrierSide` once FreeSWITCH connects it
 * back; `bridged` says whether it came to that (keys played before it were never sent: test/e2e/browser-media.test.ts).
 */
async function answerAndBridge(
  ms: Mrf.MediaServer,
  channels: Channels,
  callerOffer: string,
  carrierSide: Endpoint,
): Promise<{ sdp: string; side: Promise<Endpoint>; bridged: Promise<boolean> }> {
  const leg = await answerOffer(ms, callerOffer);
  channels.addLeg(leg);
  const side = leg.endpoint.then((endpoint) => channels.add(endpoint));
  const failed = (reason: string) => (error: unknown) => (channels.fail(reason, error), false);
  const bridged = side.then(
    (endpoint) => endpoint.bridge(carrierSide).then(() => true, failed('could not bridge the call on the media server')),
    failed('the caller leg never reached the media server'),
  );
  return { sdp: leg.sdp, side, bridged };
}

/**
 * A transfer on the media server: a channel for the new party (an RTP offer made at once for a carrier or desk phone;
 * for a browser, answering the offer it makes in its 2xx), bridged to the kept party's channel once it answers, which
 * moves the kept party's audio there; the replaced party's channel is then let go.
 */
async function handOverTo(ms: Mrf.MediaServer, channels: Channels, kept: Endpoint, replaced: Endpoint, kind: MediaKind): Promise<MediaHandOver> {
  const joinTo = async (side: Endpoint): Promise<JoinedMedia> => {
    // Let go of first: FreeSWITCH may hang the replaced channel up itself once the kept one is bridged away from it.
    channels.drop(replaced);
    await side.bridge(kept);
    return {
      via: `freeswitch ${ms.address}`,
      reoffer: (party, sdp) => renegotiate(party === 'caller' ? kept : side, sdp),
      sendDtmf: (to, digits, durationMs) => playDtmf(to === 'caller' ? kept : side, digits, durationMs),
      lost: channels.lost,
      quality: () => channels.quality(ms),
    };
  };
  if (kind === 'rtp') {
    const side = await ready(ms, channels, { headers: { [OFFER_KIND_HEADER]: 'rtp' } });
    return {
      calleeOffer: side.local.sdp,
      async join(answer) {
        await renegotiate(side, answer);
        return joinTo(side);
      },
      abandon: () => channels.drop(side),
    };
  }
  const legs: AnsweringLeg[] = [];
  const byOffer = new Map<string, AnsweringLeg>();
  return {
    calleeOffer: undefined,
    async answerCallee(offer) {
      const leg = await answerOffer(ms, offer);
      channels.addLeg(leg);
      legs.push(leg);
      byOffer.set(offer, leg);
      return leg.sdp;
    },
    async join(offer) {
      const leg = byOffer.get(offer);
      if (leg === undefined) throw new Error('no media server channel answered the new party');
      for (const other of legs) if (other !== leg) channels.dropLeg(other);
      return joinTo(channels.add(await leg.endpoint));
    },
    abandon: () => legs.forEach((leg) => channels.dropLeg(leg)),
  };
}

/**
 * Browser -> carrier. The carrier gets FreeSWITCH's plain-RTP offer at once. The browser's offer is answered only when
 * the carrier sends media (183 with SDP: ringback, announcements) or answers, because its DTLS handshake starts the
 * moment it holds an answer; that answer then stays the browser's whichever carrier (after failover) answers.
 */
async function browserToRtp(ms: Mrf.MediaServer, browserOffer: string, logger: Logger): Promise<RelayedPath> {
  const channels = new Channels(logger);
  const carrierSide = await ready(ms, channels, { headers: { [OFFER_KIND_HEADER]: 'rtp' } });
  let carrierSdp: string | undefined;
  let browserAnswer: Promise<string> | undefined;
  let browserSide: Promise<Endpoint> | undefined;
  // Whether the two channels got bridged: keys played on the browser's channel before it were never sent (seen in
  // test/e2e/browser-media.test.ts), so they wait for it.
  let bridged: Promise<boolean> | undefined;

  const useCarrierSdp = async (sdp: string) => {
    if (sdp === carrierSdp) return;
    carrierSdp = sdp;
    await renegotiate(carrierSide, sdp);
  };
  const answerBrowser = () =>
    (browserAnswer ??= answerAndBridge(ms, channels, browserOffer, carrierSide).then((leg) => {
      ({ side: browserSide, bridged } = leg);
      return leg.sdp;
    }));

  return {
    via: `freeswitch ${ms.address}`,
    calleeOffer: carrierSide.local.sdp,
    async earlyMedia(carrierEarlySdp) {
      await useCarrierSdp(carrierEarlySdp);
      return answerBrowser();
    },
    async answerCaller(carrierAnswer) {
      await useCarrierSdp(carrierAnswer);
      return answerBrowser();
    },
    async reoffer(party, sdp) {
      if (party === 'callee') return renegotiate(carrierSide, sdp);
      if (browserSide === undefined) throw new Error('the browser leg is not up yet');
      return renegotiate(await browserSide, sdp);
    },
    async sendDtmf(to, digits, durationMs) {
      if (!((await bridged) ?? false)) throw new Error('the call is not bridged on the media server');
      return playDtmf(to === 'callee' ? carrierSide : await browserSide, digits, durationMs);
    },
    async handOver(keep, kind) {
      if (browserSide === undefined) throw new Error('the browser leg is not up yet');
      const browser = await browserSide;
      return keep === 'callee' ? handOverTo(ms, channels, carrierSide, browser, kind) : handOverTo(ms, channels, browser, carrierSide, kind);
    },
    lost: channels.lost,
    quality: () => channels.quality(ms),
    release: () => channels.release(),
  };
}

/**
 * Browser or desk phone -> a carrier that takes SRTP only (SDES, RFC 4568). FreeSWITCH 1.10 puts no a=crypto keys in
 * an offer on a channel the app's INVITE opened (and makes new keys on every re-offer), so the carrier is dialled
 * without an offer: it offers RTP/SAVP with its key in its 200, FreeSWITCH answers with its own key in the ACK, and a
 * plain-RTP offer or answer is refused here, never carried. The caller is answered and bridged when the carrier
 * answers; early media from the carrier is not carried (its 183 SDP would be an offer outside this exchange).
 */
async function toSrtpCarrier(ms: Mrf.MediaServer, callerOffer: string, logger: Logger): Promise<RelayedPath> {
  const channels = new Channels(logger);
  let carrierSide: Endpoint | undefined;
  let callerSide: Promise<Endpoint> | undefined;
  let bridged: Promise<boolean> | undefined;
  const refuseInsecure = (sdp: string, whose: string) => {
    const problem = srtpSdpProblem(sdp);
    if (problem !== undefined) throw new Error(`${whose}: ${problem}`);
  };
  return {
    via: `freeswitch ${ms.address}`,
    calleeOffer: undefined,
    async answerCallee(carrierOffer) {
      refuseInsecure(carrierOffer, 'the carrier');
      const leg = await answerOffer(ms, carrierOffer);
      channels.addLeg(leg);
      // What FreeSWITCH makes of the offer is checked too: its answer must key the media as well.
      refuseInsecure(leg.sdp, 'the media server');
      carrierSide = channels.add(await leg.endpoint);
      return leg.sdp;
    },
    async answerCaller() {
      if (carrierSide === undefined) throw new Error('the carrier leg is not up');
      const leg = await answerAndBridge(ms, channels, callerOffer, carrierSide);
      ({ side: callerSide, bridged } = leg);
      return leg.sdp;
    },
    async reoffer(party, sdp) {
      if (party === 'callee') {
        if (carrierSide === undefined) throw new Error('the carrier leg is not up');
        refuseInsecure(sdp, 'the carrier');
        return renegotiate(carrierSide, sdp);
      }
      if (callerSide === undefined) throw new Error('the caller leg is not up yet');
      return renegotiate(await callerSide, sdp);
    },
    async sendDtmf(to, digits, durationMs) {
      if (!((await bridged) ?? false)) throw new Error('the call is not bridged on the media server');
      return playDtmf(to === 'callee' ? carrierSide : await callerSide, digits, durationMs);
    },
    async handOver(keep, kind) {
      if (carrierSide === undefined || callerSide === undefined) throw new Error('the call is not up yet');
      const caller = await callerSide;
      return keep === 'callee' ? handOverTo(ms, channels, carrierSide, caller, kind) : handOverTo(ms, channels, caller, carrierSide, kind);
    },
    lost: channels.lost,
    quality: () => channels.quality(ms),
    release: () => channels.release(),
  };
}

/**
 * Carrier (or desk phone) -> browser. FreeSWITCH answers the carrier's offer on one channel. The browser tabs are rung
 * without an offer: FreeSWITCH makes WebRTC offers only on calls it places itself, so each tab offers in its 200 and a
 * second channel answers that (in the ACK). The answering tab's channel is bridged to the carrier's.
 */
async function rtpToBrowser(ms: Mrf.MediaServer, carrierOffer: string, logger: Logger): Promise<RelayedPath> {
  const channels = new Channels(logger);
  const carrierSide = await ready(ms, channels, { remoteSdp: carrierOffer });
  // One per tab that answered, keyed by the offer it made; all but the winner's are hung up at once.
  const answered = new Map<string, AnsweringLeg>();
  let winner: AnsweringLeg | undefined;
  let browserSide: Endpoint | undefined;
  return {
    via: `freeswitch ${ms.address}`,
    calleeOffer: undefined,
    async answerCallee(browserOffer) {
      const leg = await answerOffer(ms, browserOffer);
      channels.addLeg(leg);
      // A tab answering after another won is hung up by signaling; its channel goes with it, not at the call's end.
      if (winner !== undefined) leg.hangUp();
      else answered.set(browserOffer, leg);
      return leg.sdp;
    },
    async answerCaller(browserOffer) {
      const leg = answered.get(browserOffer);
      if (leg === undefined) throw new Error('no media server channel answered this browser');
      winner = leg;
      for (const other of answered.values()) if (other !== leg) other.hangUp();
      browserSide = channels.add(await leg.endpoint);
      await carrierSide.bridge(browserSide);
      return carrierSide.local.sdp;
    },
    async reoffer(party, sdp) {
      const side = party === 'caller' ? carrierSide : browserSide;
      if (side === undefined) throw new Error('the browser leg is not up yet');
      return renegotiate(side, sdp);
    },
    sendDtmf: (to, digits, durationMs) => playDtmf(to === 'caller' ? carrierSide : browserSide, digits, durationMs),
    async handOver(keep, kind) {
      if (browserSide === undefined) throw new Error('the browser leg is not up yet');
      return keep === 'caller' ? handOverTo(ms, channels, carrierSide, browserSide, kind) : handOverTo(ms, channels, browserSide, carrierSide, kind);
    },
    lost: channels.lost,
    quality: () => channels.quality(ms),
    release: () => channels.release(),
  };
}

/**
 * Runs FreeSWITCH's `echo` application on a channel: every frame it receives goes back to the sender, until the
 * channel hangs up. It holds the channel's application queue that long, so drachtio-fsmrf's `destroy` (a queued
 * `hangup`) would wait behind it: echo channels are hung up with a BYE on their SIP dialog instead.
 */
function startEcho(endpoint: Endpoint, channels: Channels): void {
  endpoint.execute('echo').catch((error: unknown) => channels.fail('the media server did not run the echo', error));
}

/** Desk phone (plain RTP) -> echo: FreeSWITCH answers the phone's offer at once and echoes on that channel. */
async function rtpEcho(ms: Mrf.MediaServer, phoneOffer: string, logger: Logger): Promise<EchoPath> {
  const channels = new Channels(logger);
  const endpoint = await ready(ms, channels, { remoteSdp: phoneOffer });
  startEcho(endpoint, channels);
  return {
    via: `freeswitch ${ms.address}`,
    answer: endpoint.local.sdp,
    lost: channels.lost,
    quality: () => channels.quality(ms),
    release() {
      channels.release();
      endpoint.dialog.destroy(undefined, () => undefined);
    },
  };
}

/**
 * Browser -> echo: FreeSWITCH's WebRTC answer goes to the browser at once (fs-leg.ts: the channel connects back only
 * after the DTLS handshake the answer starts); the echo starts when it does.
 */
async function browserEcho(ms: Mrf.MediaServer, browserOffer: string, logger: Logger): Promise<EchoPath> {
  const channels = new Channels(logger);
  const leg = await answerOffer(ms, browserOffer);
  channels.addLeg(leg);
  leg.endpoint.then(
    (endpoint) => startEcho(channels.add(endpoint), channels),
    (error: unknown) => channels.fail('the browser leg never reached the media server', error),
  );
  return {
    via: `freeswitch ${ms.address}`,
    answer: leg.sdp,
    lost: channels.lost,
    quality: () => channels.quality(ms),
    // The leg is hung up with a BYE on its dialog (fs-leg.ts), which the running echo does not hold up.
    release: () => channels.release(),
  };
}

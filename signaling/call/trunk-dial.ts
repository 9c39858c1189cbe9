/**
 * Dialling the trunks for one number: by priority, the next on 408/5xx/TRUNK_TIMEOUT_SECONDS, each attempt written as
 * the trunk's dialling rules say. Shared by a dialled call (invite/trunk-call.ts) and a transfer to a carrier number
 * (transfer.ts).
 */
import { dialString, orderCodecs } from '../../core/calls/dial-string.ts';
import type { Trunk } from '../../core/calls/trunks.ts';
import { checksPeerCertificate, isTlsUri, srtpSdpProblem } from '../../core/calls/trunk-security.ts';
import { formatTrunkUri, parseTrunkUri } from '../../core/calls/trunk-uri.ts';
import type { MediaPath } from '../../core/media/media-relay.ts';
import type { E164 } from '../../core/numbers.ts';
import type { TrunkMediaEncryption } from '../../db/schema.ts';
import type { CallDeps } from '../invite/call-context.ts';
import { calleeOfferOf } from '../media/media-path.ts';
import { trunkCertificateProblem } from '../trunk-tls-check.ts';
import { dial, DialFailed, type DialOffer, type Dialog, type DialTarget } from './dial.ts';

/** 408, 5xx and our own timeout move on to the next trunk; any other failure is the callee's answer. */
function worthFailover(status: number): boolean {
  return status === 408 || (status >= 500 && status < 600);
}

/**
 * The attempt's Request-URI (the number at the trunk's host, written as the trunk's dialling rules say), To, caller ID
 * headers and next hop; throws for a URI no call can use.
 */
function trunkTarget(trunk: Trunk, number: E164, callerId: string | undefined): DialTarget {
  const parsed = parseTrunkUri(trunk.outbound_uri ?? '');
  if (!parsed.ok) throw new Error(`trunk ${trunk.name}: outbound URI ${parsed.problem}`);
  const { uri } = parsed;
  const { user, headers } = dialString(number, callerId, trunk, uri);
  return {
    uri: formatTrunkUri(uri, user),
    proxy: formatTrunkUri(uri),
    ...(trunk.auth_username && trunk.auth_password ? { auth: { username: trunk.auth_username, password: trunk.auth_password } } : {}),
    headers: { ...headers, To: `<${uri.scheme}:${user}@${uri.host}>` },
  };
}

/**
 * The offer this trunk gets: its codec order applied to an SDP offer. An SDES trunk gets none (the media server cannot
 * key an offer: media-control/relay.ts) and its carrier's offer, made in its 2xx, must be SRTP: a plain one is refused.
 */
export function trunkOffer(trunk: Trunk, media: Pick<MediaPath, 'calleeOffer' | 'answerCallee'>): DialOffer {
  const offer = calleeOfferOf(media);
  if ('sdp' in offer) return { sdp: orderCodecs(offer.sdp, trunk.codec_order) };
  if (trunk.media_encryption !== 'sdes') return offer;
  return {
    answerOffer(carrierOffer) {
      if (srtpSdpProblem(carrierOffer) !== undefined) throw new DialFailed(488, 'srtp-refused');
      return offer.answerOffer(carrierOffer);
    },
  };
}

/** How long the app's own TLS handshake with a carrier (a CA or pin to check) may take. */
const TLS_CHECK_TIMEOUT_MS = 5000;

/** Why this attempt must not be made (its carrier's certificate, its media encryption), or undefined. */
async function attemptProblem(
  deps: Pick<CallDeps, 'logger' | 'trunkTimeoutMs'>,
  trunk: Trunk,
  pathEncryption: TrunkMediaEncryption,
): Promise<DialFailed | undefined> {
  // The media path was opened for the first trunk's encryption: an SRTP one cannot carry plain RTP, nor the reverse.
  if (trunk.media_encryption !== pathEncryption) return new DialFailed(503, 'media-encryption-differs');
  const parsed = parseTrunkUri(trunk.outbound_uri ?? '');
  if (!parsed.ok || !isTlsUri(parsed.uri) || !checksPeerCertificate(trunk)) return undefined;
  const problem = await trunkCertificateProblem(parsed.uri, trunk, Math.min(deps.trunkTimeoutMs, TLS_CHECK_TIMEOUT_MS));
  if (problem === undefined) return undefined;
  deps.logger.warn({ trunk: trunk.name, problem }, 'trunk certificate refused');
  return new DialFailed(503, 'trunk-untrusted');
}

/** What a trunk attempt needs besides the trunks: who to call, as whom, with what offer, and who hears its progress. */
export interface TrunkDialling {
  readonly number: E164;
  readonly callerId: string | undefined;
  /** What the media path offers the carriers: trunks of another encryption are skipped. */
  readonly mediaEncryption: TrunkMediaEncryption;
  /** The offer this trunk gets (its codec order applied). */
  offerFor(trunk: Trunk): DialOffer;
  /** Aborted: the attempt ringing is cancelled and no further trunk is tried. */
  readonly cancelled: AbortSignal;
  onProvisional(status: number, sdp: string | undefined): void;
  onAttempt(trunk: Trunk): void;
}

/** Tries each trunk in turn; resolves with the answered dialog and its trunk, or the last failure. */
export async function dialTrunks(
  deps: Pick<CallDeps, 'srf' | 'logger' | 'onSignalingLost' | 'trunkTimeoutMs'>,
  trunks: readonly Trunk[],
  dialling: TrunkDialling,
): Promise<{ dialog: Dialog; trunk: Trunk } | { failure: DialFailed; cancelled: boolean }> {
  const { number, callerId } = dialling;
  let cancelled = false;
  let current: { cancel(): void } | undefined;
  dialling.cancelled.addEventListener('abort', () => {
    cancelled = true;
    current?.cancel();
  });
  let failure = new DialFailed(503, 'no trunk answered');
  // With the drachtio connection gone no answer can come: the attempt fails at once rather than at the trunk timeout.
  let unsubscribe = () => {};
  const lost = new Promise<never>((_, reject) => {
    unsubscribe = deps.onSignalingLost(() => reject(new DialFailed(503, 'signaling-lost')));
  });
  lost.catch(() => undefined);
  try {
    const callerGone = () => {
      cancelled = true;
      failure = new DialFailed(487, 'caller cancelled');
    };
    for (const trunk of trunks) {
      // Also true when the CANCEL came before any trunk was dialled: then none is.
      if (dialling.cancelled.aborted) {
        callerGone();
        break;
      }
      dialling.onAttempt(trunk);
      const problem = await attemptProblem(deps, trunk, dialling.mediaEncryption);
      if (problem !== undefined) {
        deps.logger.info({ trunk: trunk.name, reason: problem.reason }, 'trunk skipped');
        failure = problem;
        continue;
      }
      // The certificate check took a moment: the caller may have gone meanwhile.
      if (dialling.cancelled.aborted) {
        callerGone();
        break;
      }
      deps.logger.debug({ trunk: trunk.name }, 'dialling trunk');
      let attempt: ReturnType<typeof dial>;
      try {
        attempt = dial(deps.srf, trunkTarget(trunk, number, callerId), dialling.offerFor(trunk), dialling.onProvisional);
      } catch (error) {
        // Our own fault with this trunk (a URI no call can use, a SIP stack error): the next trunk may still carry it;
        // if none does, the caller hears 503, as when no trunk answers.
        deps.logger.error({ trunk: trunk.name, err: (error as Error).message }, 'trunk attempt could not be sent');
        failure = new DialFailed(503, 'internal-error');
        continue;
      }
      current = attempt;
      const timeout = setTimeout(() => attempt.cancel(), deps.trunkTimeoutMs);
      try {
        return { dialog: await Promise.race([attempt.answered, lost]), trunk };
      } catch (error) {
        if (!(error instanceof DialFailed)) deps.logger.error({ trunk: trunk.name, err: (error as Error).message }, 'trunk attempt failed inside the app');
        const failed = error instanceof DialFailed ? error : new DialFailed(503, 'internal-error');
        // Our own CANCEL on timeout comes back as 487: for failover that is a 408.
        failure = !cancelled && failed.status === 487 ? new DialFailed(408, 'trunk timeout') : failed;
        deps.logger.info({ trunk: trunk.name, status: failure.status }, 'trunk attempt failed');
        if (!worthFailover(failure.status) || failure.reason === 'signaling-lost') break;
      } finally {
        clearTimeout(timeout);
      }
    }
    return { failure, cancelled };
  } finally {
    unsubscribe();
  }
}

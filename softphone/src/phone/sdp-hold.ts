/** Whether an SDP offer puts its audio on hold (RFC 3264 §8.4: sendonly, or inactive, at session or media level). */
export function offersHold(sdp: string): boolean {
  return /^a=(sendonly|inactive)\s*$/m.test(sdp);
}

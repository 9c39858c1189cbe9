/**
 * Plays what the far end sends: every received track of a call's peer connection, on one <audio> element.
 * Tracks can arrive after the answer (and again after a re-INVITE), so the element follows `track` events.
 */
export function playRemoteAudio(peerConnection: RTCPeerConnection, element: HTMLAudioElement): () => void {
  const stream = new MediaStream();
  const add = (track: MediaStreamTrack) => {
    if (track.kind === 'audio' && !stream.getTrackById(track.id)) stream.addTrack(track);
  };
  for (const receiver of peerConnection.getReceivers()) add(receiver.track);
  const onTrack = (event: RTCTrackEvent) => add(event.track);
  peerConnection.addEventListener('track', onTrack);
  element.autoplay = true;
  element.srcObject = stream;
  // Autoplay may be refused until the user has interacted with the page; the stream still flows.
  element.play().catch(() => undefined);
  return () => {
    peerConnection.removeEventListener('track', onTrack);
    if (element.srcObject === stream) element.srcObject = null;
  };
}

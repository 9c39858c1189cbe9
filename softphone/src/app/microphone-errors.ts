/** Why the microphone cannot be used, in plain words, from getUserMedia's error (a DOMException, by its name). */
export const MICROPHONE_DENIED = "Dialo cannot use your microphone: allow it in the browser's site settings, then reload.";
export const NO_MICROPHONE = 'No microphone found: plug one in.';

export function microphoneErrorMessage(error: unknown): string {
  const name = typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return MICROPHONE_DENIED;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return NO_MICROPHONE;
    case 'NotReadableError':
    case 'AbortError':
      return 'Your microphone is busy or blocked: close any other program using it (or allow it in the system’s privacy settings), then reload.';
    default:
      return `Dialo cannot open your microphone${error instanceof Error && error.message !== '' ? ` (${error.message})` : ''}.`;
  }
}

// Why the microphone cannot be used, as the app says it, from getUserMedia's errors (DOMExceptions, by name).
import { describe, expect, it } from 'vitest';
import { MICROPHONE_DENIED, NO_MICROPHONE, microphoneErrorMessage } from '../../../softphone/src/app/microphone-errors.ts';

describe('microphone errors in plain words', () => {
  it('permission denied: where to allow it', () => {
    expect(MICROPHONE_DENIED).toBe("Dialo cannot use your microphone: allow it in the browser's site settings, then reload.");
    expect(microphoneErrorMessage(new DOMException('Permission denied', 'NotAllowedError'))).toBe(MICROPHONE_DENIED);
    expect(microphoneErrorMessage(new DOMException('insecure', 'SecurityError'))).toBe(MICROPHONE_DENIED);
  });

  it('no device, or the chosen one gone: plug one in', () => {
    expect(NO_MICROPHONE).toBe('No microphone found: plug one in.');
    expect(microphoneErrorMessage(new DOMException('Requested device not found', 'NotFoundError'))).toBe(NO_MICROPHONE);
    expect(microphoneErrorMessage(new DOMException('', 'OverconstrainedError'))).toBe(NO_MICROPHONE);
  });

  it('in use elsewhere or blocked by the system: says so', () => {
    expect(microphoneErrorMessage(new DOMException('Could not start audio source', 'NotReadableError'))).toMatch(
      /^Your microphone is busy or blocked: close any other program/,
    );
  });

  it('anything else: the browser’s own words', () => {
    expect(microphoneErrorMessage(new TypeError('getUserMedia failed'))).toBe('Dialo cannot open your microphone (getUserMedia failed).');
    expect(microphoneErrorMessage('odd')).toBe('Dialo cannot open your microphone.');
  });
});

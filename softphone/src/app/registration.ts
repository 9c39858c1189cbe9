/**
 * Puts the phone online for the signed-in account: short-lived SIP credentials and the signaling WebSocket's
 * address from `POST /sip/credentials`, then REGISTER. Every step is reported as a status line.
 */
import { createPhone, type Phone } from '../phone/phone.ts';
import { ApiError, type ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

interface SipCredentials {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly webSocketUrl: string | null;
}

/** The registered phone, or undefined (the status says why) when calling is not possible. */
export async function connectPhone(api: ApiClient, remoteAudio: HTMLAudioElement, showStatus: (status: string) => void): Promise<Phone | undefined> {
  showStatus('Connecting…');
  let credentials: SipCredentials;
  try {
    credentials = await api.post<SipCredentials>('/sip/credentials');
  } catch (error) {
    showStatus(error instanceof ApiError && error.status === 503 ? 'Calling is not set up on this server' : `Offline: ${messageOf(error)}`);
    return undefined;
  }
  if (credentials.webSocketUrl === null) {
    showStatus('Calling is not set up on this server (no SIP_WS_URL)');
    return undefined;
  }
  let phone: Phone | undefined;
  try {
    phone = await createPhone({ ...credentials, webSocketUrl: credentials.webSocketUrl, remoteAudio });
    showStatus('Registering…');
    await phone.register();
    showStatus('Registered');
    return phone;
  } catch (error) {
    await phone?.stop();
    showStatus(`Not registered: ${messageOf(error)}`);
    return undefined;
  }
}

/**
 * The link in the verification mail opens this app at `/verify-email?token=...` (api/email-links.ts): the app confirms
 * the address with the API (GET /auth/verify) and says so on the sign-in form, instead of the user landing on JSON.
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

/** The token of a verification link this page was opened with, if any. */
export function verificationTokenOf(location: Location): string | undefined {
  return location.pathname === '/verify-email' ? (new URLSearchParams(location.search).get('token') ?? undefined) : undefined;
}

/** Confirms the address; the outcome goes to `message`, and the address bar drops the one-use token. */
export async function confirmEmail(api: ApiClient, token: string, message: HTMLElement): Promise<void> {
  history.replaceState(null, '', '/');
  try {
    await api.get(`/auth/verify?token=${encodeURIComponent(token)}`);
    message.textContent = 'Address confirmed: sign in.';
  } catch (error) {
    message.textContent = `Address not confirmed: ${messageOf(error)}`;
  }
}

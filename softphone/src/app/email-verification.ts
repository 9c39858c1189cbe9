/**
 * The link in the verification mail opens this app at `/verify-email?token=...` (api/email-links.ts): the app confirms
 * the address with the API (GET /auth/verify) and says so on the sign-in form, instead of the user landing on JSON.
 * Signing in before that answers 403 not-verified (only to the holder of the right password): the app says so and
 * offers a new link, which is what sign-up does for an address still pending (a fresh link, the password ignored).
 */
import { ApiError, type ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';
import type { AfterLinkSent } from './mail-delivery.ts';
import type { Session } from './session.ts';

const NOT_VERIFIED = 'https://dialo.dev/problems/not-verified';

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

export interface NotVerifiedElements {
  readonly email: HTMLInputElement;
  readonly password: HTMLInputElement;
  readonly message: HTMLElement;
  /** "Send the link again" (for the address and password in the form), shown only after a sign-in the address was not confirmed for. */
  readonly resend: HTMLButtonElement;
}

export interface NotVerified {
  /** True (and the message shown, the new link offered) when `error` is the sign-in's not-verified refusal. */
  handle(error: unknown): Promise<boolean>;
  /** Hides the offer (a new attempt starts). */
  reset(): void;
}

export function createNotVerified(session: Session, elements: NotVerifiedElements, afterLinkSent: AfterLinkSent): NotVerified {
  elements.resend.addEventListener('click', () => {
    session.signUp(elements.email.value.trim(), elements.password.value).then(
      async () => (elements.message.textContent = await afterLinkSent('We sent a new link.')),
      (error: unknown) => (elements.message.textContent = messageOf(error)),
    );
  });
  return {
    async handle(error) {
      if (!(error instanceof ApiError && error.type === NOT_VERIFIED)) return false;
      elements.resend.hidden = false;
      elements.message.textContent = await afterLinkSent('This address is not confirmed yet: open the link in the mail we sent you, then sign in.');
      return true;
    },
    reset() {
      elements.resend.hidden = true;
    },
  };
}

/**
 * Forgotten passwords: "Forgot password?" on the sign-in form mails a link (POST /auth/password-reset); the link
 * opens this app at `/reset-password?token=...`, where a new password is set (POST /auth/password-reset/confirm).
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';
import type { AfterLinkSent } from './mail-delivery.ts';

export interface PasswordResetElements {
  readonly forgot: HTMLButtonElement;
  readonly email: HTMLInputElement;
  readonly authMessage: HTMLElement;
  readonly form: HTMLFormElement;
  readonly password: HTMLInputElement;
  readonly message: HTMLElement;
}

/** The token of a reset link this page was opened with, if any. */
export function resetTokenOf(location: Location): string | undefined {
  return location.pathname === '/reset-password' ? (new URLSearchParams(location.search).get('token') ?? undefined) : undefined;
}

/** Wires both halves; `onDone` runs once a new password is set (the app goes back to sign-in). */
export function createPasswordReset(
  api: ApiClient,
  elements: PasswordResetElements,
  token: string | undefined,
  afterLinkSent: AfterLinkSent,
  onDone: () => void,
): void {
  elements.forgot.addEventListener('click', () => {
    if (!elements.email.reportValidity()) return;
    api.post<{ message: string }>('/auth/password-reset', { email: elements.email.value.trim() }).then(
      async ({ message }) => (elements.authMessage.textContent = await afterLinkSent(`${message}.`)),
      (error: unknown) => (elements.authMessage.textContent = messageOf(error)),
    );
  });
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (token === undefined) return;
    api.post('/auth/password-reset/confirm', { token, password: elements.password.value }).then(
      () => {
        elements.password.value = '';
        onDone();
        elements.authMessage.textContent = 'Password changed: sign in with the new one.';
      },
      (error: unknown) => (elements.message.textContent = `Not changed: ${messageOf(error)}`),
    );
  });
}

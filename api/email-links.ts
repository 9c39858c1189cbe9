/** The links account mails carry, on the public URL: verification is an API GET, reset a page of the app. */
import type { EmailLinks } from '../core/accounts/messages.ts';

export function emailLinks(publicUrl: string): EmailLinks {
  return {
    verifyEmail: (token) => `${publicUrl}/auth/verify?token=${token}`,
    resetPassword: (token) => `${publicUrl}/reset-password?token=${token}`,
  };
}

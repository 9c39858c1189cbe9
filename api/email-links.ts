/** The links account mails carry, on the public URL: pages of the app, which call the API. */
import type { EmailLinks } from '../core/accounts/messages.ts';

export function emailLinks(publicUrl: string): EmailLinks {
  return {
    verifyEmail: (token) => `${publicUrl}/verify-email?token=${token}`,
    resetPassword: (token) => `${publicUrl}/reset-password?token=${token}`,
  };
}

/** The text of the account mails. Links come from the caller (the API knows its public URL and routes). */

export interface EmailLinks {
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
}

export interface MessageText {
  readonly subject: string;
  readonly text: string;
}

export const messages = {
  verifyEmail: (link: string): MessageText => ({
    subject: 'Confirm your e-mail address for Dialo',
    text: `Open this link to confirm your address (valid for 48 hours):\n\n${link}\n\nIf you did not ask for this, ignore this mail.\n`,
  }),
  alreadyRegistered: (): MessageText => ({
    subject: 'Someone tried to sign up to Dialo with your address',
    text: 'Your address already has a Dialo account. If that was you, log in or reset your password.\nIf not, you can ignore this mail: nothing changed.\n',
  }),
  resetPassword: (link: string): MessageText => ({
    subject: 'Reset your Dialo password',
    text: `Open this link to choose a new password (valid for 1 hour):\n\n${link}\n\nIf you did not ask for this, ignore this mail: your password is unchanged.\n`,
  }),
  passwordChanged: (): MessageText => ({
    subject: 'Your Dialo password was changed',
    text: 'Your password was just changed and your other sessions were signed out.\nIf this was not you, reset your password now.\n',
  }),
};

/** Why an account operation was refused; the API maps each code to an HTTP problem in one place. */
export type AccountErrorCode =
  'invalid_credentials' | 'not_verified' | 'weak_password' | 'invalid_email' | 'invalid_token' | 'email_taken' | 'rate_limited' | 'no_such_account';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    /** For `rate_limited`: seconds until the attempt may be made again (the API's Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

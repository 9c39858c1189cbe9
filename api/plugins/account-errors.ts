/** Maps core account errors to HTTP problems, for the route scopes that call core/accounts. */
import type { FastifyInstance } from 'fastify';
import { AccountError, type AccountErrorCode } from '../../core/accounts/errors.ts';
import { HttpProblem } from './errors.ts';

const STATUS: Record<AccountErrorCode, [number, string]> = {
  invalid_credentials: [401, 'Unauthorized'],
  not_verified: [403, 'Forbidden'],
  weak_password: [400, 'Bad Request'],
  invalid_email: [400, 'Bad Request'],
  invalid_token: [400, 'Bad Request'],
  email_taken: [409, 'Conflict'],
  rate_limited: [429, 'Too Many Requests'],
};

export function accountProblem(error: AccountError): HttpProblem {
  const [status, title] = STATUS[error.code];
  return new HttpProblem(status, title, error.message, `https://dialo.dev/problems/${error.code.replace(/_/g, '-')}`);
}

/** In this scope, an AccountError becomes its problem; anything else goes on to the app's error handler. */
export function mapAccountErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error) => {
    throw error instanceof AccountError ? accountProblem(error) : error;
  });
}

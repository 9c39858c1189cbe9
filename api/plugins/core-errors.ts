/** Maps typed core errors (accounts, privacy policy) to HTTP problems, for the route scopes that call them. */
import type { FastifyInstance } from 'fastify';
import { AccountError, type AccountErrorCode } from '../../core/accounts/errors.ts';
import { PolicyError } from '../../core/privacy/policy.ts';
import { HttpProblem } from './errors.ts';

const ACCOUNT_STATUS: Record<AccountErrorCode, [number, string]> = {
  invalid_credentials: [401, 'Unauthorized'],
  not_verified: [403, 'Forbidden'],
  weak_password: [400, 'Bad Request'],
  invalid_email: [400, 'Bad Request'],
  invalid_token: [400, 'Bad Request'],
  email_taken: [409, 'Conflict'],
  rate_limited: [429, 'Too Many Requests'],
};

const POLICY_STATUS: Record<PolicyError['code'], [number, string]> = {
  version_exists: [409, 'Conflict'],
  unknown_version: [404, 'Not Found'],
};

function problemType(code: string): string {
  return `https://dialo.dev/problems/${code.replace(/_/g, '-')}`;
}

export function coreProblem(error: unknown): unknown {
  if (error instanceof AccountError) {
    const [status, title] = ACCOUNT_STATUS[error.code];
    return new HttpProblem(status, title, error.message, problemType(error.code));
  }
  if (error instanceof PolicyError) {
    const [status, title] = POLICY_STATUS[error.code];
    return new HttpProblem(status, title, error.message, problemType(error.code));
  }
  return error;
}

/** In this scope, a core error becomes its problem; anything else goes on to the app's error handler. */
export function mapCoreErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error) => {
    throw coreProblem(error);
  });
}

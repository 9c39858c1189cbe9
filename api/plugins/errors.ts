/**
 * One error handler for the whole API: every error leaves as RFC 9457 problem+json (`type`, `title`, `status`,
 * `detail`). A 5xx never carries a stack trace or message out, unless it was thrown as an answer (a 503 "not
 * configured", a 502 from the payment provider).
 *
 * Routes throw: an {@link HttpProblem} for an HTTP answer of their own, or core's typed errors as they come,
 * which {@link CORE_ERRORS} turns into problems. No route maps errors itself.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PrefixAlreadyBlockedError } from '../../core/abuse/blocked-prefixes.ts';
import { AccountError } from '../../core/accounts/errors.ts';
import { AdjustmentError } from '../../core/billing/ledger.ts';
import { RateConflictError, RateInputError } from '../../core/billing/rates.ts';
import { PaymentEventUnreadableError, PaymentProviderError, PaymentRequestRefusedError, PaymentSignatureError } from '../../core/billing/payment-provider.ts';
import { RefundAmountError, TopUpAmountError, TopUpKeyReusedError, TopUpNotFoundError, TopUpNotRefundableError } from '../../core/billing/top-ups.ts';
import { CallAdminError } from '../../core/calls/call-admin-error.ts';
import { MoneyError } from '../../core/money.ts';
import { PolicyError } from '../../core/privacy/policy.ts';
import type { Problem } from '../schemas/problem.ts';

export const PROBLEM_TYPES = 'https://dialo.dev/problems/';
const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** An error a route throws on purpose; sent with its status, title and type as they are. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    /** Named after the title unless given. */
    readonly type = `${PROBLEM_TYPES}${slug(title)}`,
    /** Per-field or per-line failures, for a 400. */
    readonly errors?: Problem['errors'],
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

/** Status, title, and the problem type's name (the title's slug when left out). */
type ProblemKind = readonly [status: number, title: string, type?: string];
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
type CoreErrorRow = (error: unknown) => ProblemKind | undefined;

const of =
  <E extends Error>(type: ErrorClass<E>, kind: ProblemKind): CoreErrorRow =>
  (error) =>
    error instanceof type ? kind : undefined;

const byCode =
  <E extends Error & { readonly code: string }>(type: ErrorClass<E>, kinds: Record<E['code'], ProblemKind>): CoreErrorRow =>
  (error) =>
    error instanceof type ? kinds[error.code as E['code']] : undefined;

/** Every core error a route may throw, as the problem it answers with; the detail is the error's message. */
const CORE_ERRORS: readonly CoreErrorRow[] = [
  byCode(AccountError, {
    invalid_credentials: [401, 'Unauthorized', 'invalid-credentials'],
    not_verified: [403, 'Forbidden', 'not-verified'],
    weak_password: [400, 'Bad Request', 'weak-password'],
    invalid_email: [400, 'Bad Request', 'invalid-email'],
    invalid_token: [400, 'Bad Request', 'invalid-token'],
    email_taken: [409, 'Conflict', 'email-taken'],
    rate_limited: [429, 'Too Many Requests', 'rate-limited'],
    no_such_account: [404, 'Not Found', 'no-such-account'],
  }),
  byCode(PolicyError, { version_exists: [409, 'Conflict', 'version-exists'], unknown_version: [404, 'Not Found', 'unknown-version'] }),
  byCode(CallAdminError, { invalid: [400, 'Bad Request'], conflict: [409, 'Conflict'], not_found: [404, 'Not Found'] }),
  of(PrefixAlreadyBlockedError, [409, 'Conflict']),
  of(RateInputError, [400, 'Bad Request']),
  of(MoneyError, [400, 'Bad Request']),
  of(AdjustmentError, [400, 'Bad Request']),
  of(TopUpAmountError, [400, 'Bad Request']),
  of(RateConflictError, [409, 'Conflict']),
  of(TopUpKeyReusedError, [409, 'Conflict']),
  of(TopUpNotRefundableError, [409, 'Conflict']),
  of(TopUpNotFoundError, [404, 'Not Found']),
  of(PaymentProviderError, [502, 'Payment Provider Error']),
  of(RefundAmountError, [400, 'Bad Request', 'refund-amount']),
  of(PaymentRequestRefusedError, [409, 'Conflict', 'payment-request-refused']),
  of(PaymentSignatureError, [400, 'Bad Request', 'payment-signature']),
  of(PaymentEventUnreadableError, [422, 'Unprocessable Content', 'payment-event-unreadable']),
];

/** The core error as its problem, or undefined when it is not one of {@link CORE_ERRORS}. */
export function coreProblem(error: unknown): HttpProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const row of CORE_ERRORS) {
    const kind = row(error);
    if (kind === undefined) continue;
    const [status, title, type] = kind;
    return new HttpProblem(status, title, error.message, type === undefined ? undefined : `${PROBLEM_TYPES}${type}`);
  }
  return undefined;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemOf(error: Error): Problem {
  const http = error instanceof HttpProblem ? error : coreProblem(error);
  if (http !== undefined) {
    const { type, title, status, detail, errors } = http;
    return { type, title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) };
  }
  const { statusCode, validation } = error as Partial<FastifyError>;
  const status = statusCode !== undefined && statusCode >= 400 && statusCode < 600 ? statusCode : 500;
  const title = TITLES[status] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error');
  // Fastify's own errors (validation, body limits, bad media types) are typed by status, as an HttpProblem is by title.
  const problem: Problem = { type: `${PROBLEM_TYPES}${validation ? 'validation' : slug(title)}`, title, status };
  if (status < 500) problem.detail = error.message;
  if (validation) {
    problem.errors = validation.map((issue) => ({
      path: issue.instancePath || String(issue.params?.missingProperty ?? ''),
      message: issue.message ?? 'invalid',
    }));
  }
  return problem;
}

function sendProblem(reply: FastifyReply, problem: Problem): void {
  void reply.status(problem.status).type('application/problem+json').send(problem);
}

/** What a framework error found before routing says, by Fastify's code: its own message repeats the whole path. */
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'the path is not valid percent-encoded text',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than any route takes',
};

/**
 * Fastify's `frameworkErrors` option: errors found before a route is chosen (a bad percent-encoding, a path
 * parameter over `maxParamLength`), which would otherwise leave as Fastify's own JSON.
 */
export function sendFrameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const detail = FRAMEWORK_DETAILS[error.code];
  sendProblem(reply, { ...problemOf(error), ...(detail === undefined ? {} : { detail }) });
}

/** What a client error on the socket answers, by Node's error code: headers too large, too slow, or not HTTP. */
const CLIENT_ERRORS: Record<string, readonly [status: number, detail: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'the request headers are larger than this server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
};

/**
 * Fastify's `clientErrorHandler` option: a request Node's parser refused (no request object exists) gets a
 * problem+json answer written on the socket, which is then closed.
 */
export function writeClientErrorProblem(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'the request is not valid HTTP'];
  const title = TITLES[status] ?? 'Bad Request';
  const body = JSON.stringify({ type: `${PROBLEM_TYPES}${slug(title)}`, title, status, detail } satisfies Problem);
  this.log.debug({ err: error }, 'client error');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    // A 429 says when to try again (RFC 9110 Retry-After, in seconds).
    if (error instanceof AccountError && error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
    sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, {
      type: `${PROBLEM_TYPES}no-route`,
      title: 'Not Found',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}

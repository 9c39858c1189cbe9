/**
 * One error handler for the whole API: every error leaves as RFC 9457 problem+json
 * (`type`, `title`, `status`, `detail`), and a 5xx never carries a stack trace or message out.
 */
import type { FastifyError, FastifyInstance } from 'fastify';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Per-field validation failures, for 400s from a route schema. */
  errors?: { path: string; message: string }[];
}

/** An error a route throws on purpose; mapped to its status and problem type as is. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly type = `https://dialo.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemOf(error: FastifyError | HttpProblem): Problem {
  if (error instanceof HttpProblem) {
    return { type: error.type, title: error.title, status: error.status, ...(error.detail ? { detail: error.detail } : {}) };
  }
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  const title = TITLES[status] ?? (status < 500 ? 'Bad Request' : 'Internal Server Error');
  const problem: Problem = { type: 'about:blank', title, status };
  if (status < 500) problem.detail = error.message;
  if (error.validation) {
    problem.errors = error.validation.map((issue) => ({
      path: issue.instancePath || String(issue.params?.missingProperty ?? ''),
      message: issue.message ?? 'invalid',
    }));
  }
  return problem;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies Problem);
  });
}

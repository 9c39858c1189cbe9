/** Response schemas shared by every route: problem+json bodies, declared per status code. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'per-field or per-line failures of a 400' })),
  },
  { description: 'RFC 9457 problem details' },
);

/** What api/plugins/errors.ts sends for every error. */
export type Problem = Static<typeof ProblemSchema>;

/**
 * The problem responses a route can give, for its `response` schema: each as `application/problem+json`, the
 * content type the error handler sends.
 * @example
 * schema: { response: { 200: Me, ...problems(401, 403) } }
 */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const content = { 'application/problem+json': { schema: ProblemSchema } };
  const response = Type.Unsafe({ description: 'problem details', content });
  const retryAfter = { type: 'integer', minimum: 1, description: 'seconds until the attempt may be made again' };
  const limited = Type.Unsafe({ description: 'problem details', headers: { 'Retry-After': retryAfter }, content });
  return Object.fromEntries(statuses.map((status) => [status, status === 429 ? limited : response]));
}

export const MessageSchema = Type.Object({ message: Type.String() });

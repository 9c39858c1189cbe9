/** Response schemas shared by every route: problem+json bodies, declared per status code. */
import { Type, type TSchema } from '@sinclair/typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: 'RFC 9457 problem details' },
);

/**
 * The problem responses a route can give, for its `response` schema.
 * @example
 * schema: { response: { 200: Me, ...problems(401, 403) } }
 */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const response = Type.Unsafe({ description: 'problem details', content: { 'application/problem+json': { schema: ProblemSchema } } });
  return Object.fromEntries(statuses.map((status) => [status, response]));
}

export const MessageSchema = Type.Object({ message: Type.String() });

import { Type } from '@sinclair/typebox';

/** The problem+json body every error response carries (api/plugins/errors.ts), for route response schemas. */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

/** Response schemas for the given error statuses. @example { 200: Ok, ...problems(400, 401) } */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema]));
}

/** Correction of account data (a privacy right): name now, a new e-mail address once verified. */
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { updateProfile } from '../../core/accounts/profile.ts';
import type { ApiDeps } from '../app.ts';
import { emailLinks } from '../email-links.ts';
import { requireCaller } from '../plugins/auth.ts';
import { problems } from '../schemas/problem.ts';
import { EmailSchema } from './auth.ts';

const ProfileChange = Type.Object(
  {
    displayName: Type.Optional(
      Type.Union([Type.String({ maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$' }), Type.Null()]),
    ),
    email: Type.Optional(EmailSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);

export async function accountRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();
  const links = emailLinks(deps.publicUrl);

  scope.patch(
    '/account/profile',
    {
      schema: {
        tags: ['privacy'],
        description: 'Corrects your name at once; a new e-mail address takes effect when you open the link mailed to it.',
        body: ProfileChange,
        response: { 200: Type.Object({ emailPending: Type.Boolean() }), ...problems(400, 401, 403, 429) },
      },
    },
    async (request) => updateProfile(deps.db, deps.privacy.tools.vault, deps.attempts, requireCaller(request).accountId, request.body, links),
  );
}

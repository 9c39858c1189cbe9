/** Operators find accounts (the ids every other admin route takes), as `dialo accounts list` does, or one by its address. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listAccounts, type AccountListing } from '../../core/accounts/accounts.ts';
import { EMAIL_MAX_LENGTH } from '../../core/accounts/email-address.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { problems } from '../schemas/problem.ts';

const AccountSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.Union([Type.String(), Type.Null()], { description: 'null once the account is erased' }),
  role: Type.String(),
  status: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const accountDto = (account: AccountListing): Static<typeof AccountSchema> => ({
  id: account.id,
  email: account.email,
  role: account.role,
  status: account.status,
  createdAt: account.createdAt.toISOString(),
});

export function adminAccountRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/admin/accounts',
    {
      schema: {
        description: 'Accounts, oldest first, a page at a time; with `email`, the account of that whole address (any case), if any.',
        querystring: Type.Object({
          email: Type.Optional(Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
        }),
        response: { 200: Type.Object({ accounts: Type.Array(AccountSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const page = request.query as { limit: number; offset: number; email?: string };
      return { accounts: (await listAccounts(deps.db, deps.privacy.tools.vault, page)).map(accountDto) };
    },
  );
}

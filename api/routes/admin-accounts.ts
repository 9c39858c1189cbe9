/** Operators find accounts (the ids every other admin route takes), as `dialo accounts list` does. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listAccounts, type AccountListing } from '../../core/accounts/accounts.ts';
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
        description: 'Accounts, oldest first, a page at a time.',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
        }),
        response: { 200: Type.Object({ accounts: Type.Array(AccountSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const page = request.query as { limit: number; offset: number };
      return { accounts: (await listAccounts(deps.db, deps.privacy.tools.vault, page)).map(accountDto) };
    },
  );
}

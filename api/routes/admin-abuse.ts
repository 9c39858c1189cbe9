/**
 * Operator toll-fraud tools: an account's call limits (effective, and the per-account ones over the defaults),
 * suspending and lifting its outbound calling, and the blocked destination prefixes. Every change is audited.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { blockPrefix, listBlockedPrefixes, unblockPrefix, type BlockedPrefix } from '../../core/abuse/blocked-prefixes.ts';
import { accountLimits, setLimitOverrides } from '../../core/abuse/call-limits.ts';
import { liftSuspension, suspendOutbound } from '../../core/abuse/suspension.ts';
import { AccountError } from '../../core/accounts/errors.ts';
import { requireAccount } from '../../core/accounts/accounts.ts';
import { formatDecimal, micros, parseDecimal } from '../../core/money.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const AccountParams = Type.Object({ accountId: Type.String({ format: 'uuid' }) });
const Amount = Type.String({ pattern: '^\\d{1,9}(\\.\\d{1,6})?$', description: 'currency units, up to 6 decimals; "0" = no cap' });
const Country = Type.String({ pattern: '^([A-Z]{2}|\\*)$', description: 'ISO 3166 alpha-2, or * for anywhere' });
const Reason = Type.String({ minLength: 3, maxLength: 500 });
const Prefix = Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'E.164 digits without +' });

const LimitsSchema = Type.Object({
  maxConcurrentCalls: Type.Integer(),
  callsPerMinute: Type.Integer({ description: '0: no limit' }),
  dailySpendCap: Type.String({ description: 'currency units over any 24 h; "0.00": no cap' }),
  allowedCountries: Type.Array(Type.String()),
});

/** The schema or null, in one `type: [..., 'null']`. */
function nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] });
}

/** Each limit, or null for the operator's default (all four must be given: a PUT replaces them). */
const OverridesBody = Type.Object(
  {
    maxConcurrentCalls: nullable(Type.Integer({ minimum: 1, maximum: 1000 })),
    callsPerMinute: nullable(Type.Integer({ minimum: 0, maximum: 100_000 })),
    dailySpendCap: nullable(Amount),
    allowedCountries: nullable(Type.Array(Country, { maxItems: 250, uniqueItems: true })),
  },
  { additionalProperties: false },
);

const CallLimitsSchema = Type.Object({
  effective: LimitsSchema,
  overrides: Type.Object({
    maxConcurrentCalls: nullable(Type.Integer()),
    callsPerMinute: nullable(Type.Integer()),
    dailySpendCap: nullable(Type.String()),
    allowedCountries: nullable(Type.Array(Type.String())),
  }),
  newAccount: Type.Boolean({ description: 'unverified or younger than the new-account period: the tighter defaults apply' }),
  suspension: nullable(Type.Object({ since: Type.String({ format: 'date-time' }), reason: Type.String(), by: nullable(Type.String()) })),
});

const BlockedPrefixSchema = Type.Object({ prefix: Type.String(), reason: Type.String(), createdAt: Type.String({ format: 'date-time' }) });

function prefixDto(entry: BlockedPrefix): Static<typeof BlockedPrefixSchema> {
  return { prefix: entry.prefix, reason: entry.reason, createdAt: entry.createdAt.toISOString() };
}

export function adminAbuseRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();

  async function callLimitsDto(accountId: string): Promise<Static<typeof CallLimitsSchema>> {
    const account = await accountLimits(db, deps.abuse, accountId, new Date());
    if (account === undefined) throw new AccountError('no_such_account', 'no such account');
    const { limits, overrides, suspension } = account;
    return {
      effective: { ...limits, dailySpendCap: formatDecimal(limits.dailySpendCap), allowedCountries: [...limits.allowedCountries] },
      overrides: {
        ...overrides,
        dailySpendCap: overrides.dailySpendCap === null ? null : formatDecimal(micros(overrides.dailySpendCap)),
        allowedCountries: overrides.allowedCountries && [...overrides.allowedCountries],
      },
      newAccount: account.newAccount,
      suspension: suspension && {
        since: suspension.since.toISOString(),
        reason: (await deps.privacy.tools.vault.open(db, suspension.reason)) ?? '',
        by: suspension.by,
      },
    };
  }

  scope.get(
    '/admin/accounts/:accountId/call-limits',
    { schema: { tags: ['admin'], params: AccountParams, response: { 200: CallLimitsSchema, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      requireOperator(request);
      return callLimitsDto(request.params.accountId);
    },
  );

  scope.put(
    '/admin/accounts/:accountId/call-limits',
    {
      schema: {
        tags: ['admin'],
        description: "Sets the account's own limits over the operator defaults (null: the default); audited.",
        params: AccountParams,
        body: OverridesBody,
        response: { 200: CallLimitsSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const operator = requireOperator(request);
      const { accountId } = request.params;
      await callLimitsDto(accountId); // 404 before any write
      const body = request.body;
      await setLimitOverrides(
        db,
        accountId,
        { ...body, dailySpendCap: body.dailySpendCap === null ? null : parseDecimal(body.dailySpendCap) },
        operator.accountId,
      );
      return callLimitsDto(accountId);
    },
  );

  scope.post(
    '/admin/accounts/:accountId/outbound-suspension',
    {
      schema: {
        tags: ['admin'],
        description: "Suspends the account's outbound calling (403 account-suspended) until lifted; audited.",
        params: AccountParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 201: CallLimitsSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const { accountId } = request.params;
      await requireAccount(db, accountId);
      if (
        !(await suspendOutbound(db, deps.privacy.tools.vault, {
          accountId,
          reason: request.body.reason,
          operatorId: operator.accountId,
          contact: deps.abuse.alertEmail,
        }))
      ) {
        throw new HttpProblem(409, 'Conflict', 'outbound calling is already suspended');
      }
      return reply.code(201).send(await callLimitsDto(accountId));
    },
  );

  scope.post(
    '/admin/accounts/:accountId/outbound-suspension/lift',
    {
      schema: {
        tags: ['admin'],
        description: 'Gives outbound calling back; patterns are then looked for in calls after the lift only. Audited with the reason.',
        params: AccountParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: CallLimitsSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const operator = requireOperator(request);
      const { accountId } = request.params;
      await requireAccount(db, accountId);
      if (!(await liftSuspension(db, deps.privacy.tools.vault, accountId, operator.accountId, request.body.reason))) {
        throw new HttpProblem(409, 'Conflict', 'outbound calling is not suspended');
      }
      return callLimitsDto(accountId);
    },
  );

  scope.get(
    '/admin/blocked-prefixes',
    { schema: { tags: ['admin'], response: { 200: Type.Object({ prefixes: Type.Array(BlockedPrefixSchema) }), ...problems(401, 403) } } },
    async (request) => {
      requireOperator(request);
      return { prefixes: (await listBlockedPrefixes(db)).map(prefixDto) };
    },
  );

  scope.post(
    '/admin/blocked-prefixes',
    {
      schema: {
        tags: ['admin'],
        description: 'Blocks every number under a prefix for every account (403 destination-blocked); audited.',
        body: Type.Object({ prefix: Prefix, reason: Reason }, { additionalProperties: false }),
        response: { 201: BlockedPrefixSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      return reply.code(201).send(prefixDto(await blockPrefix(db, request.body, operator.accountId)));
    },
  );

  scope.delete(
    '/admin/blocked-prefixes/:prefix',
    { schema: { tags: ['admin'], params: Type.Object({ prefix: Prefix }), response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const operator = requireOperator(request);
      if (!(await unblockPrefix(db, request.params.prefix, operator.accountId))) throw new HttpProblem(404, 'Not Found', 'that prefix is not blocked');
      return reply.code(204).send(null);
    },
  );
}

/** Operator privacy duties: legal holds, the audited export of an account, policy versions, retention runs. */
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requireAccount } from '../../core/accounts/accounts.ts';
import { exportAccountData } from '../../core/privacy/export.ts';
import { liftLegalHold, listLegalHolds, placeLegalHold, type LegalHold } from '../../core/privacy/legal-holds.ts';
import { publishPolicy } from '../../core/privacy/policy.ts';
import { runRetention } from '../../core/privacy/retention.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { ExportBundleSchema } from '../schemas/export-bundle.ts';
import { problems } from '../schemas/problem.ts';

const AccountParams = Type.Object({ accountId: Type.String({ format: 'uuid' }) });
const Reason = Type.String({ minLength: 3, maxLength: 500, description: 'the legal basis, e.g. a case number' });

const LegalHoldSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'null once the account is erased' }),
  placedBy: Type.Union([Type.String(), Type.Null()], { description: 'the operator; null: at the command line' }),
  placedAt: Type.String({ format: 'date-time' }),
  liftedBy: Type.Union([Type.String(), Type.Null()]),
  liftedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null while the hold is active' }),
});

/** As GET /admin/accounts/:id/legal-holds shows a hold (and `dialo holds list --json`). */
export const legalHoldDto = (hold: LegalHold): Static<typeof LegalHoldSchema> => ({
  ...hold,
  placedAt: hold.placedAt.toISOString(),
  liftedAt: hold.liftedAt?.toISOString() ?? null,
});

export async function adminPrivacyRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { db, privacy } = deps;
  const scope = app.withTypeProvider<TypeBoxTypeProvider>();

  scope.post(
    '/admin/accounts/:accountId/legal-holds',
    {
      schema: {
        tags: ['admin'],
        description: 'Places a legal hold: erasure of the account waits until every hold is lifted.',
        params: AccountParams,
        body: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const id = await placeLegalHold(db, privacy.tools.vault, operator.accountId, request.params.accountId, request.body.reason);
      return reply.code(201).send({ id });
    },
  );

  scope.get(
    '/admin/accounts/:accountId/legal-holds',
    {
      schema: {
        tags: ['admin'],
        description: "The account's legal holds, active and lifted, newest first.",
        params: AccountParams,
        response: { 200: Type.Object({ holds: Type.Array(LegalHoldSchema) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      requireOperator(request);
      return { holds: (await listLegalHolds(db, privacy.tools.vault, request.params.accountId)).map(legalHoldDto) };
    },
  );

  scope.post(
    '/admin/accounts/:accountId/legal-holds/:holdId/lift',
    {
      schema: {
        tags: ['admin'],
        params: Type.Object({ accountId: Type.String({ format: 'uuid' }), holdId: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      if (!(await liftLegalHold(db, operator.accountId, request.params.accountId, request.params.holdId))) {
        throw new HttpProblem(404, 'Not Found', 'no active hold with that id on that account');
      }
      return reply.code(204).send(null);
    },
  );

  scope.get(
    '/admin/accounts/:accountId/export',
    {
      schema: {
        tags: ['admin'],
        description: 'Everything held about an account, for a legal request; audited with the reason given.',
        params: AccountParams,
        querystring: Type.Object({ reason: Reason }),
        response: { 200: ExportBundleSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const operator = requireOperator(request);
      await requireAccount(db, request.params.accountId);
      return exportAccountData(db, privacy.tools.vault, request.params.accountId, {
        kind: 'operator',
        operatorId: operator.accountId,
        reason: request.query.reason,
      });
    },
  );

  scope.post(
    '/admin/policy',
    {
      schema: {
        tags: ['admin'],
        description: 'Publishes a policy version; a material one mails a notice to every active user and asks them to acknowledge it.',
        body: Type.Object(
          {
            version: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9._-]+$' }),
            text: Type.String({ minLength: 1, maxLength: 200_000 }),
            material: Type.Boolean(),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ version: Type.String(), notified: Type.Integer() }), ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      return reply.code(201).send(await publishPolicy(db, operator.accountId, request.body, deps.publicUrl));
    },
  );

  scope.post(
    '/admin/retention/run',
    {
      schema: {
        tags: ['admin'],
        description: 'Runs retention now (it also runs on schedule in the jobs role); returns the rows touched per table.',
        response: { 200: Type.Object({ counts: Type.Record(Type.String(), Type.Integer()) }), ...problems(401, 403) },
      },
    },
    async (request) => {
      const operator = requireOperator(request);
      return { counts: await runRetention(db, privacy.retention, privacy.tools, operator.accountId) };
    },
  );
}

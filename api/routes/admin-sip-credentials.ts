/**
 * Static SIP credentials for desk phones (core/accounts/desk-phones.ts), in this deployment's realm: the password is
 * in the creation's response only; afterwards nothing secret can be read back.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { addDeskPhone, listDeskPhones, removeDeskPhone, type DeskPhone } from '../../core/accounts/desk-phones.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const Username = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'the SIP user the phone registers as' });
const DeskPhoneSchema = Type.Object({
  accountId: Type.String({ format: 'uuid' }),
  username: Type.String(),
  realm: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
const CreatedSchema = Type.Composite([
  DeskPhoneSchema,
  Type.Object({ password: Type.String({ description: 'shown this once: only its digest (HA1) is stored' }) }),
]);
const Body = Type.Object({ accountId: Type.String({ format: 'uuid' }), username: Username }, { additionalProperties: false });

const dto = (phone: DeskPhone): Static<typeof DeskPhoneSchema> => ({
  accountId: phone.accountId,
  username: phone.username,
  realm: phone.realm,
  createdAt: phone.createdAt.toISOString(),
});

export function adminSipCredentialRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;
  const realm = (): string => {
    if (deps.sip === undefined) throw new HttpProblem(503, 'SIP Not Configured', 'this deployment has no SIP_SECRET: calling is not set up');
    return deps.sip.realm;
  };

  app.post(
    '/admin/sip-credentials',
    {
      schema: {
        description: "A desk phone's SIP credentials on an account; the generated password is in this response only. Audited.",
        body: Body,
        response: { 201: CreatedSchema, ...problems(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const body = request.body as Static<typeof Body>;
      const { password, ...phone } = await addDeskPhone(db, operator.accountId, { ...body, realm: realm() });
      void reply.header('cache-control', 'no-store');
      return reply.status(201).send({ ...dto(phone), password });
    },
  );

  app.get(
    '/admin/sip-credentials',
    {
      schema: {
        querystring: Type.Object({ accountId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 200: Type.Object({ credentials: Type.Array(DeskPhoneSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const { accountId } = request.query as { accountId?: string };
      return { credentials: (await listDeskPhones(db, accountId === undefined ? {} : { accountId })).map(dto) };
    },
  );

  app.delete(
    '/admin/sip-credentials/:username',
    {
      schema: {
        description: 'The phone can no longer register or call (checked again within one credential-cache poll). Audited.',
        params: Type.Object({ username: Username }),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      await removeDeskPhone(db, operator.accountId, (request.params as { username: string }).username, realm());
      return reply.status(204).send();
    },
  );
}

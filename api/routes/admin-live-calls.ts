/**
 * Operators watch the calls up now and hang one up. The hang-up is recorded and audited here (core/calls/
 * hang-up-request.ts); the signaling node holding the call ends it on its next poll, so the answer is 202.
 * The list is a read of what GET /admin/accounts shows already (addresses) and masked numbers: not audited.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { requestHangUp } from '../../core/calls/hang-up-request.ts';
import { liveCalls, type LiveCall } from '../../core/operations/live-calls.ts';
import type { ApiDeps } from '../app.ts';
import { requireOperator } from '../plugins/auth.ts';
import { problems } from '../schemas/problem.ts';

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const LiveCallSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  direction: Type.Union([Type.Literal('outbound'), Type.Literal('inbound'), Type.Literal('onnet'), Type.Literal('echo')]),
  accountId: nullable(Type.String({ format: 'uuid' })),
  accountEmail: nullable(Type.String({ description: 'null once the account is erased' })),
  trunk: nullable(Type.String({ description: "the trunk's name; null for on-net and echo calls" })),
  phase: Type.String({ description: 'setup, dialing or answered' }),
  from: nullable(Type.String({ description: 'masked: only the last four digits shown' })),
  to: nullable(Type.String({ description: 'masked: only the last four digits shown' })),
  startedAt: Type.String({ format: 'date-time' }),
  answeredAt: nullable(Type.String({ format: 'date-time' })),
  seconds: Type.Integer({ description: 'talk time so far when answered, else time since the call started' }),
  nodeId: Type.String({ description: 'the signaling node holding the call' }),
  hangUpRequestedAt: nullable(Type.String({ format: 'date-time', description: 'an operator asked to hang it up; it ends within a second or so' })),
});

const HangUpSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  nodeId: Type.String(),
  requestedAt: Type.String({ format: 'date-time' }),
});

const liveCallDto = (call: LiveCall): Static<typeof LiveCallSchema> => ({
  ...call,
  startedAt: call.startedAt.toISOString(),
  answeredAt: call.answeredAt?.toISOString() ?? null,
  hangUpRequestedAt: call.hangUpRequestedAt?.toISOString() ?? null,
});

export function adminLiveCallRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps;
  app.get(
    '/admin/calls/live',
    {
      schema: {
        description: 'Calls not ended yet, newest first: who, which trunk, how far along and for how long; numbers masked.',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }),
        response: { 200: Type.Object({ at: Type.String({ format: 'date-time' }), calls: Type.Array(LiveCallSchema) }), ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(request);
      const now = new Date();
      const { limit } = request.query as { limit: number };
      const calls = await liveCalls(db, deps.privacy.tools.vault, now, limit);
      return { at: now.toISOString(), calls: calls.map(liveCallDto) };
    },
  );

  app.post(
    '/admin/calls/:id/hang-up',
    {
      schema: {
        description:
          'Hangs up a call: answered, with BYE on both legs from the node holding it, billed to that moment; still ringing, with CANCEL on the legs ' +
          'it rings and 480 (X-Reason: operator) to the caller, not charged. Either way closed by `system` with cause `operator`. ' +
          'Accepted at once, done within a poll of that node; asking again changes nothing. 409 when the call is over.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 202: HangUpSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const operator = requireOperator(request);
      const { id } = request.params as { id: string };
      const hangUp = await requestHangUp(db, { callId: id, operatorId: operator.accountId }, new Date());
      return reply.status(202).send({ id: hangUp.callId, nodeId: hangUp.nodeId, requestedAt: hangUp.requestedAt.toISOString() });
    },
  );
}

/**
 * Web Push (issue 16): the public key browsers subscribe with, and the signed-in user's own subscriptions (one per
 * browser that agreed to be woken for calls). Decisions and sealing are in core/push/subscriptions.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  MAX_ENDPOINT_LENGTH,
  MAX_LABEL_LENGTH,
  PushSubscriptionError,
  listSubscriptions,
  removeSubscription,
  saveSubscription,
  type SubscriptionView,
} from '../../core/push/subscriptions.ts';
import type { ApiDeps } from '../app.ts';
import { requireCaller } from '../plugins/auth.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';

const SubscriptionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  label: Type.Union([Type.String(), Type.Null()]),
  pushService: Type.String({ description: "the push service's origin, e.g. https://fcm.googleapis.com" }),
  createdAt: Type.String({ format: 'date-time' }),
  lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when a push last reached its service' }),
});

/** `PushSubscription.toJSON()` of the browser (without expirationTime), and the user's name for the device. */
const SubscribeBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: MAX_ENDPOINT_LENGTH }),
    keys: Type.Object(
      { p256dh: Type.String({ minLength: 1, maxLength: 100 }), auth: Type.String({ minLength: 1, maxLength: 100 }) },
      { additionalProperties: false },
    ),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH })),
  },
  { additionalProperties: false },
);

function subscriptionDto(view: SubscriptionView) {
  return {
    id: view.id,
    label: view.label,
    pushService: view.pushService,
    createdAt: view.createdAt.toISOString(),
    lastSuccessAt: view.lastSuccessAt?.toISOString() ?? null,
  };
}

function notConfigured(): HttpProblem {
  return new HttpProblem(503, 'Push Not Configured', 'this deployment has no VAPID keys: calls cannot wake a closed tab');
}

export function pushRoutes(app: FastifyInstance, { db, privacy, push }: ApiDeps): void {
  const vault = privacy.tools.vault;

  app.get(
    '/push/config',
    {
      schema: {
        response: { 200: Type.Object({ publicKey: Type.String({ description: 'applicationServerKey for pushManager.subscribe' }) }), ...problems(503) },
      },
    },
    async () => {
      if (push === undefined) throw notConfigured();
      return { publicKey: push.publicKey };
    },
  );

  app.post(
    '/push/subscriptions',
    { schema: { body: SubscribeBody, response: { 201: SubscriptionSchema, ...problems(400, 401, 403, 409, 503) } } },
    async (request, reply) => {
      const caller = requireCaller(request);
      if (push === undefined) throw notConfigured();
      const body = request.body as { endpoint: string; keys: { p256dh: string; auth: string }; label?: string };
      try {
        const id = await saveSubscription(
          db,
          vault,
          caller.accountId,
          { endpoint: body.endpoint, ...body.keys, label: body.label ?? null },
          push.serviceHosts === undefined ? {} : { allowedHosts: push.serviceHosts },
        );
        const saved = (await listSubscriptions(db, vault, caller.accountId)).find((view) => view.id === id)!;
        return reply.status(201).send(subscriptionDto(saved));
      } catch (error) {
        if (!(error instanceof PushSubscriptionError)) throw error;
        if (error.reason === 'too_many') throw new HttpProblem(409, 'Too Many Devices', error.message);
        throw new HttpProblem(400, 'Invalid Push Subscription', error.message, undefined, [...error.errors]);
      }
    },
  );

  app.get(
    '/push/subscriptions',
    { schema: { response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionSchema) }), ...problems(401) } } },
    async (request) => ({
      subscriptions: (await listSubscriptions(db, vault, requireCaller(request).accountId)).map(subscriptionDto),
    }),
  );

  app.delete(
    '/push/subscriptions/:id',
    { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await removeSubscription(db, requireCaller(request).accountId, id))) throw new HttpProblem(404, 'Not Found', 'no such subscription of yours');
      return reply.status(204).send();
    },
  );
}

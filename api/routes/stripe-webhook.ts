/**
 * `POST /billing/stripe/webhook`: Stripe's signed events. The body stays raw bytes in this scope only, as
 * signature verification (the payment provider port's `verifyEvent`) needs them; a bad signature is a 400 and
 * changes nothing.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { processPaymentEvent } from '../../core/billing/payment-events.ts';
import type { ApiDeps } from '../app.ts';
import { HttpProblem } from '../plugins/errors.ts';
import { problems } from '../schemas/problem.ts';
import { paymentsNotConfigured } from './billing.ts';

export function stripeWebhookRoutes(deps: ApiDeps) {
  return async (scope: FastifyInstance) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/billing/stripe/webhook',
      {
        schema: {
          headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String()) }),
          response: { 200: Type.Object({ received: Type.Literal(true), outcome: Type.String() }), ...problems(400, 503) },
        },
      },
      async (request) => {
        const { payments } = deps;
        if (payments === undefined) throw paymentsNotConfigured();
        const signature = request.headers['stripe-signature'];
        if (typeof signature !== 'string' || !Buffer.isBuffer(request.body)) throw new HttpProblem(400, 'Bad Request', 'a signed Stripe event is expected');
        let event;
        try {
          event = payments.provider.verifyEvent(request.body, signature);
        } catch {
          throw new HttpProblem(400, 'Bad Request', 'the Stripe signature does not match');
        }
        const outcome = await processPaymentEvent(deps.db, event);
        request.log.info({ stripeEvent: event.id, type: event.type, outcome }, 'stripe event');
        return { received: true as const, outcome };
      },
    );
  };
}

/**
 * `POST /billing/stripe/webhook`: Stripe's signed events. The body stays raw bytes in this scope only, as
 * signature verification (the payment provider port's `verifyEvent`) needs them. A bad signature, or one dated
 * outside the tolerance either way, is a 400; a signed event missing a field billing needs is a 422. Neither
 * changes anything nor claims the event id.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { processPaymentEvent } from '../../core/billing/payment-events.ts';
import { PaymentEventUnreadableError } from '../../core/billing/payment-provider.ts';
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
          response: { 200: Type.Object({ received: Type.Literal(true), outcome: Type.String() }), ...problems(400, 422, 503) },
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
        } catch (error) {
          // Refused (422) rather than recorded: Stripe keeps retrying and lists the failure, and a redelivery that
          // carries the field applies. Logged because it is genuine money news no one acted on yet.
          if (error instanceof PaymentEventUnreadableError) {
            request.log.warn({ err: error }, 'stripe event refused: unreadable');
            deps.metrics.paymentEvents.inc({ result: 'unreadable' });
          }
          throw error;
        }
        const outcome = await processPaymentEvent(deps.db, event);
        deps.metrics.paymentEvents.inc({ result: 'applied' });
        request.log.info({ stripeEvent: event.id, type: event.type, outcome }, 'stripe event');
        return { received: true as const, outcome };
      },
    );
  };
}

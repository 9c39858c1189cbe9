/** Billing's typed core errors as HTTP problems: the one place that mapping lives. */
import { AdjustmentError } from '../../core/billing/ledger.ts';
import { RateConflictError, RateInputError } from '../../core/billing/rates.ts';
import { PaymentProviderError, TopUpAmountError, TopUpKeyReusedError, TopUpNotFoundError, TopUpNotRefundableError } from '../../core/billing/top-ups.ts';
import { MoneyError } from '../../core/money.ts';
import { HttpProblem } from '../plugins/errors.ts';

export function billingProblem(error: unknown): unknown {
  if (error instanceof RateInputError || error instanceof MoneyError || error instanceof AdjustmentError || error instanceof TopUpAmountError) {
    return new HttpProblem(400, 'Bad Request', error.message);
  }
  if (error instanceof RateConflictError || error instanceof TopUpKeyReusedError || error instanceof TopUpNotRefundableError) {
    return new HttpProblem(409, 'Conflict', error.message);
  }
  if (error instanceof TopUpNotFoundError) return new HttpProblem(404, 'Not Found', error.message);
  if (error instanceof PaymentProviderError) return new HttpProblem(502, 'Payment Provider Error', error.message);
  return error;
}

/** Runs a route body, turning billing errors into problems. */
export async function mappingBillingErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw billingProblem(error);
  }
}

export const paymentsNotConfigured = () =>
  new HttpProblem(503, 'Payments Not Configured', 'card payments are not set up on this server; an operator can grant credit');

/**
 * The account's credit (GET /billing/balance) and the top-up button. Card payments go through Stripe; until the app
 * embeds Stripe.js the button only says whether this server takes payments at all (GET /billing/config).
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

export interface BalanceElements {
  readonly amount: HTMLElement;
  readonly topUp: HTMLButtonElement;
  readonly message: HTMLElement;
}

export interface BalanceView {
  refresh(): Promise<void>;
}

export function createBalanceView(api: ApiClient, elements: BalanceElements): BalanceView {
  elements.topUp.addEventListener('click', () => {
    api.get<{ stripePublishableKey: string | null }>('/billing/config').then(
      ({ stripePublishableKey }) => {
        elements.message.textContent =
          stripePublishableKey === null ? 'Payments are not configured on this server.' : 'Card top-ups are not available in this app yet.';
      },
      (error: unknown) => (elements.message.textContent = messageOf(error)),
    );
  });
  return {
    async refresh() {
      try {
        const { available, currency } = await api.get<{ available: string; currency: string }>('/billing/balance');
        elements.amount.textContent = `${available} ${currency.toUpperCase()}`;
      } catch (error) {
        elements.amount.textContent = `unavailable (${messageOf(error)})`;
      }
    },
  };
}

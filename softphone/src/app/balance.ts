/** The account's credit (GET /billing/balance); card top-ups are top-up.ts. */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

export interface BalanceView {
  refresh(): Promise<void>;
}

export function createBalanceView(api: ApiClient, amount: HTMLElement): BalanceView {
  return {
    async refresh() {
      try {
        const { available, currency } = await api.get<{ available: string; currency: string }>('/billing/balance');
        amount.textContent = `${available} ${currency.toUpperCase()}`;
      } catch (error) {
        amount.textContent = `unavailable (${messageOf(error)})`;
      }
    },
  };
}

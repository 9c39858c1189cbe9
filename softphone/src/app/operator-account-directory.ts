/**
 * Accounts by sign-in address, for the sections that name an account (numbers, desk phones): read a page at a time
 * from GET /admin/accounts, offered as suggestions to the address fields (a datalist).
 */
import type { ApiClient } from './api-client.ts';

interface Listing {
  readonly accounts: readonly { readonly id: string; readonly email: string | null }[];
}

const PAGE = 1000;

export interface AccountDirectory {
  /** Suggestions for an address field: point the input's `list` at its id. */
  readonly suggestions: HTMLDataListElement;
  /** Reads every account again. */
  load(): Promise<void>;
  /** The account's address, or its id when it has none (erased). */
  addressOf(accountId: string): string;
  /** The account signing in as `address`; throws saying so when none does. */
  idOf(address: string): string;
  clear(): void;
}

let directories = 0;

export function createAccountDirectory(api: ApiClient): AccountDirectory {
  directories += 1;
  const suggestions = document.createElement('datalist');
  suggestions.id = `operator-accounts-${directories}`;
  const byId = new Map<string, string>();
  const byAddress = new Map<string, string>();
  return {
    suggestions,
    async load() {
      const accounts: Listing['accounts'][number][] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await api.get<Listing>(`/admin/accounts?limit=${PAGE}&offset=${offset}`);
        accounts.push(...page.accounts);
        if (page.accounts.length < PAGE) break;
      }
      byId.clear();
      byAddress.clear();
      for (const account of accounts) {
        if (account.email === null) continue;
        byId.set(account.id, account.email);
        byAddress.set(account.email.toLowerCase(), account.id);
      }
      suggestions.replaceChildren(...[...byAddress.keys()].map((address) => new Option(address)));
    },
    addressOf: (accountId) => byId.get(accountId) ?? accountId,
    idOf(address) {
      const id = byAddress.get(address.trim().toLowerCase());
      if (id === undefined) throw new Error(`no account signs in as ${address.trim()}`);
      return id;
    },
    clear() {
      byId.clear();
      byAddress.clear();
      suggestions.replaceChildren();
    },
  };
}

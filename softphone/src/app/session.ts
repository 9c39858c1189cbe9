/** Who is signed in: sign-up, sign-in, sign-out and resuming a session after a reload (GET /auth/me). */
import { ApiError, type ApiClient } from './api-client.ts';

export interface Account {
  readonly id: string;
  readonly email: string;
  /** 'operator' sees the operator console (the API decides what each role may read). */
  readonly role: string;
}

export interface Session {
  /** The signed-in account after a reload, or undefined when the cookie is missing or expired. */
  resume(): Promise<Account | undefined>;
  /** Resolves with the API's message ("check your mail ..."). */
  signUp(email: string, password: string): Promise<string>;
  signIn(email: string, password: string): Promise<Account>;
  signOut(): Promise<void>;
}

export function createSession(api: ApiClient): Session {
  const me = async (): Promise<Account> => {
    const account = await api.get<{ id: string; email: string; role: string; csrfToken: string }>('/auth/me');
    api.setCsrfToken(account.csrfToken);
    return { id: account.id, email: account.email, role: account.role };
  };

  return {
    async resume() {
      try {
        return await me();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return undefined;
        throw error;
      }
    },
    async signUp(email, password) {
      const { message } = await api.post<{ message: string }>('/auth/signup', { email, password });
      return message;
    },
    async signIn(email, password) {
      const { csrfToken } = await api.post<{ csrfToken: string }>('/auth/login', { email, password });
      api.setCsrfToken(csrfToken);
      return me();
    },
    async signOut() {
      try {
        await api.post('/auth/logout');
      } finally {
        api.setCsrfToken(undefined);
      }
    },
  };
}

/**
 * Where account mail goes (GET /auth/config): with no mail server set up (SMTP_URL unset) the server writes each mail
 * to its log instead, one line with its links, and the app says so wherever it has just sent a link.
 */
import type { ApiClient } from './api-client.ts';

export const LOG_NOTE = "No mail server is set up: the link is in the log of the terminal running Dialo (line 'mail not sent').";

/** `text`, followed by where to find the link when mail is not sent; asks the server once. */
export type AfterLinkSent = (text: string) => Promise<string>;

export function afterLinkSent(api: ApiClient): AfterLinkSent {
  // Not knowing (the request failed) reads as the usual case: mail is sent.
  const logged = api.get<{ mailDelivery: 'smtp' | 'log' }>('/auth/config').then(
    ({ mailDelivery }) => mailDelivery === 'log',
    () => false,
  );
  return async (text) => ((await logged) ? `${text} ${LOG_NOTE}` : text);
}

/**
 * Which push services the server POSTs to. A subscription's endpoint is a URL the user's browser hands us, and the
 * server sends a request there on every incoming call: unchecked, any user could point it at a host inside the
 * operator's network (SSRF). Only https endpoints on the hosts of known browser push services are taken, at subscribe
 * time and again at send time (the list may have shrunk since).
 */

/** Chrome and Chromium-based browsers (FCM), Firefox (Mozilla autopush), Safari (Apple), Edge (WNS). */
export const DEFAULT_PUSH_SERVICE_HOSTS: readonly string[] = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.push.apple.com',
  '*.notify.windows.com',
];

/** A host name (or address), or `*.` and a domain: any host under that domain, not the domain itself. */
const HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export function isPushServicePattern(pattern: string): boolean {
  return HOST_PATTERN.test(pattern);
}

function hostMatches(host: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/**
 * Why `endpoint` is not one we push to, or undefined when it is: https, no credentials or fragment, on an allowed host.
 * @example pushEndpointProblem('https://fcm.googleapis.com/fcm/send/abc', DEFAULT_PUSH_SERVICE_HOSTS) // undefined
 */
export function pushEndpointProblem(endpoint: string, allowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'an https: URL of a push service';
  }
  if (url.protocol !== 'https:') return 'an https: URL of a push service';
  if (url.username !== '' || url.password !== '' || url.hash !== '') return 'an https: URL without credentials or fragment';
  const host = url.hostname.toLowerCase();
  if (!allowedHosts.some((pattern) => hostMatches(host, pattern))) return `a push service this server sends to (${allowedHosts.join(', ')})`;
  return undefined;
}

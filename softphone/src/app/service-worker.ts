/**
 * The page's side of the service worker (softphone/public/sw.js): registers it (the app installs and its shell opens
 * from the cache), and hands each click on a call notification to `onAction`. Also reads `#answer=<callId>`, which
 * the worker opens the app with when a push notification's Answer is clicked and no tab is open.
 */

export type NotificationAction = 'answer' | 'decline';

export interface CallNotificationClick {
  readonly action: NotificationAction;
  readonly callId: string;
}

export function registerServiceWorker(onAction: (click: CallNotificationClick) => void): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.error('the service worker did not install:', error));
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<unknown>) => {
    const data = event.data as { type?: unknown; action?: unknown; callId?: unknown } | null;
    if (data?.type !== 'call-notification' || typeof data.callId !== 'string') return;
    if (data.action === 'answer' || data.action === 'decline') onAction({ action: data.action, callId: data.callId });
  });
}

/** The call a notification asked to answer when it opened this page, removed from the address (a reload must not answer again). */
export function takeAnswerRequest(): string | undefined {
  const match = /^#answer=(.+)$/.exec(location.hash);
  if (match === null) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return decodeURIComponent(match[1]!);
}

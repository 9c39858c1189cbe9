/**
 * A ringing call nobody is looking at (the tab hidden, or another window or tab in front) raises a notification
 * with Answer and Decline, through the service worker so its actions work (softphone/public/sw.js routes the click
 * back to this tab). Only with the user's permission, asked for by push-devices.ts; closed when the call stops ringing.
 */

export interface RingingCall {
  /** signaling's record of the call (X-Dialo-Call-Record): the notification's call id. */
  readonly callId: string;
  /** Who calls, as the call view shows it. */
  readonly from: string;
}

const unseen = () => document.visibilityState === 'hidden' || !document.hasFocus();

/** Raises the notification if nobody sees the tab; returns what closes it (a no-op when none was raised). */
export async function notifyRinging(call: RingingCall): Promise<() => void> {
  if (!unseen() || !('Notification' in window) || Notification.permission !== 'granted' || !('serviceWorker' in navigator)) return () => undefined;
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration === undefined) return () => undefined;
  const tag = `call-${call.callId}`;
  await registration.showNotification('Incoming call', {
    body: `From ${call.from}`,
    tag,
    data: { callId: call.callId },
    icon: '/icon.svg',
    requireInteraction: true,
    // Actions are in Chromium's NotificationOptions only (Firefox and Safari show the notification without them).
    ...({
      actions: [
        { action: 'answer', title: 'Answer' },
        { action: 'decline', title: 'Decline' },
      ],
    } as NotificationOptions),
  });
  return () => void registration.getNotifications({ tag }).then((shown) => shown.forEach((notification) => notification.close()));
}

/**
 * A ringing call nobody is looking at (the tab hidden, or another window or tab in front) raises a notification
 * with Answer and Decline, through the service worker so its actions work (softphone/public/sw.js routes the click
 * back to this tab). Only with the user's permission, asked for by push-devices.ts.
 */

export interface RingingCall {
  /** signaling's record of the call (X-Dialo-Call-Record): the notification's call id. */
  readonly callId: string;
  /** Who calls, as the call view shows it. */
  readonly from: string;
  /** It rings during another call. */
  readonly waiting?: boolean;
}

const unseen = () => document.visibilityState === 'hidden' || !document.hasFocus();

const tagOf = (callId: string) => `call-${callId}`;

/** Raises the notification if nobody sees the tab. */
export async function notifyRinging(call: RingingCall): Promise<void> {
  if (!unseen() || !('Notification' in window) || Notification.permission !== 'granted' || !('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  await registration?.showNotification(call.waiting === true ? 'Call waiting' : 'Incoming call', {
    body: `From ${call.from}`,
    tag: tagOf(call.callId),
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
}

/** Closes the call's notifications: this tab's, and the one a push raised before the tab opened (the same tag). */
export async function closeCallNotifications(callId: string): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  for (const shown of (await registration?.getNotifications({ tag: tagOf(callId) })) ?? []) shown.close();
}

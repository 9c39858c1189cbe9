/**
 * "Ring this browser when Dialo is closed" on the privacy page: with the user's consent (the browser's notification
 * prompt), subscribes this browser to Web Push with the server's VAPID key (`GET /push/config`) and stores the
 * subscription (`POST /push/subscriptions`); lists the browsers that ring, each removable (`DELETE`). A call then
 * wakes the installed app through softphone/public/sw.js even with no tab open.
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

/** A browser whose push service cannot be reached may never settle the subscription. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

interface Subscription {
  readonly id: string;
  readonly label: string | null;
  readonly pushService: string;
  readonly createdAt: string;
}

export interface PushDevicesElements {
  readonly enable: HTMLButtonElement;
  readonly list: HTMLElement;
  readonly message: HTMLElement;
}

export interface PushDevices {
  /** Lists the browsers that ring; call when the privacy page opens signed in. */
  load(): Promise<void>;
  /**
   * At sign-out: this browser stops ringing for the account that left (the next person here must not be woken for
   * it). Its subscription ends at the push service, whose 410 then has the server forget it.
   */
  forgetThisBrowser(): Promise<void>;
}

/** The VAPID key as pushManager.subscribe takes it (base64url text to bytes). */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** A name the user recognises this browser by, e.g. "Chrome on Linux"; no identifier. */
function browserLabel(): string {
  const agent = navigator.userAgent;
  const browser = /Edg\//.test(agent)
    ? 'Edge'
    : /Firefox\//.test(agent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(agent)
        ? 'Chrome'
        : /Safari\//.test(agent)
          ? 'Safari'
          : 'A browser';
  const system = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Mac OS X/.test(agent)
        ? 'macOS'
        : /Windows/.test(agent)
          ? 'Windows'
          : /Linux/.test(agent)
            ? 'Linux'
            : undefined;
  return system === undefined ? browser : `${browser} on ${system}`;
}

export function createPushDevices(api: ApiClient, elements: PushDevicesElements): PushDevices {
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

  const draw = (subscriptions: readonly Subscription[]) => {
    elements.list.replaceChildren(
      ...subscriptions.map((subscription) => {
        const item = document.createElement('li');
        const name = subscription.label ?? 'A browser';
        item.append(`${name}, since ${new Date(subscription.createdAt).toLocaleDateString()} `);
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'quiet';
        remove.textContent = 'Stop ringing';
        remove.setAttribute('aria-label', `Stop ringing ${name}`);
        remove.addEventListener('click', () => {
          api.delete(`/push/subscriptions/${subscription.id}`).then(
            () => load(),
            (error: unknown) => (elements.message.textContent = `Not removed: ${messageOf(error)}`),
          );
        });
        item.append(remove);
        return item;
      }),
    );
    if (subscriptions.length === 0)
      elements.list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'None: calls ring only while a Dialo tab is open.' }));
  };

  const load = async () => {
    try {
      draw((await api.get<{ subscriptions: Subscription[] }>('/push/subscriptions')).subscriptions);
    } catch (error) {
      elements.message.textContent = `The browsers that ring could not be loaded: ${messageOf(error)}`;
    }
  };

  const enable = async () => {
    elements.message.textContent = '';
    if (!supported) {
      elements.message.textContent = 'This browser cannot be woken for calls: it has no Web Push.';
      return;
    }
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      elements.message.textContent = 'Notifications are blocked for Dialo in this browser: allow them in its site settings, then try again.';
      return;
    }
    try {
      const { publicKey } = await api.get<{ publicKey: string }>('/push/config');
      const registration = await navigator.serviceWorker.ready;
      elements.message.textContent = "Asking this browser's push service…";
      const subscription = await Promise.race([
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }),
        new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('its push service did not answer; try again later')), SUBSCRIBE_TIMEOUT_MS)),
      ]);
      const { endpoint, keys } = subscription.toJSON();
      await api.post('/push/subscriptions', { endpoint, keys, label: browserLabel() });
      elements.message.textContent = 'This browser now rings for calls when Dialo is closed.';
      await load();
    } catch (error) {
      elements.message.textContent = `This browser could not be set to ring: ${messageOf(error)}`;
    }
  };

  elements.enable.disabled = !supported;
  if (!supported) elements.message.textContent = 'This browser cannot be woken for calls: it has no Web Push.';
  elements.enable.addEventListener('click', () => void enable());
  return {
    load,
    async forgetThisBrowser() {
      if (!supported) return;
      const registration = await navigator.serviceWorker.getRegistration();
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
    },
  };
}

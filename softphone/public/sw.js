// Dialo's service worker (softphone/README.md, "Installable app"). Plain JavaScript in public/: it must be served
// from the root under a fixed name, unbundled, to control the whole app.
//
// - The app shell is cached so the app opens fast and installs: the page itself network-first (a new release is
//   picked up at once; the cached copy only when offline), Vite's fingerprinted /assets/ cache-first (a name never
//   changes content). Nothing else is cached: no API answer, no page with a token in its address.
// - A push (signaling's Web Push when a call arrives and no tab is open) carries only {type, callId}: it raises an
//   "Incoming call" notification with Answer and Decline, whatever tab is or is not open.
// - A click on a notification (the push's, or the one a tab without focus raises for a ringing call) brings a tab to
//   the call: an open one is focused and told what was clicked; with none, the app opens with #answer=<callId>.
const SHELL = 'dialo-shell-v1';
const SHELL_FILES = ['/', '/manifest.webmanifest', '/icon.svg', '/icon-maskable.svg'];

/** The shell, and the bundle the page names (its script, style and the chunks it preloads): the app opens offline from the first visit on. */
async function cacheShell() {
  const cache = await caches.open(SHELL);
  await cache.addAll(SHELL_FILES);
  const page = await (await cache.match('/')).text();
  const assets = [...new Set(page.match(/\/assets\/[\w.-]+\.(?:js|css)/g) ?? [])];
  await cache.addAll(assets);
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    // Only the app's own root page is kept (never /verify-email?token=…).
    if (response.ok && new URL(request.url).pathname === '/') await cache.put('/', response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match('/');
    if (cached !== undefined) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request);
  if (cached !== undefined) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') event.respondWith(networkFirst(request));
  else if (url.pathname.startsWith('/assets/') || SHELL_FILES.includes(url.pathname)) event.respondWith(cacheFirst(request));
});

const callNotification = (callId, body) => ({
  body,
  tag: `call-${callId}`,
  data: { callId },
  icon: '/icon.svg',
  requireInteraction: true,
  renotify: true,
  actions: [
    { action: 'answer', title: 'Answer' },
    { action: 'decline', title: 'Decline' },
  ],
});

self.addEventListener('push', (event) => {
  let message;
  try {
    message = event.data?.json();
  } catch {
    message = undefined;
  }
  if (message?.type !== 'incoming-call' || typeof message.callId !== 'string') return;
  event.waitUntil(self.registration.showNotification('Incoming call', callNotification(message.callId, 'Open Dialo to answer')));
});

async function bringToCall(action, callId) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows[0];
  if (open !== undefined) {
    open.postMessage({ type: 'call-notification', action, callId });
    if (action !== 'decline') await open.focus();
    return;
  }
  // No tab: declining leaves the caller to hear that nobody answered once the ring time is over.
  if (action !== 'decline') await self.clients.openWindow(`/#answer=${encodeURIComponent(callId)}`);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const callId = event.notification.data?.callId;
  if (typeof callId !== 'string') return;
  event.waitUntil(bringToCall(event.action === 'decline' ? 'decline' : 'answer', callId));
});

/**
 * The softphone app: signed out it shows the sign-in form; signed in it puts the phone online and shows the dialer,
 * the call in progress, credit and recent calls. `#privacy` shows the privacy page. Everything talks to the API on
 * this page's own origin.
 */
import type { Call } from '../phone/call.ts';
import { ApiError, createApiClient } from './api-client.ts';
import { createBalanceView } from './balance.ts';
import { createCallView } from './call-view.ts';
import { arrival, perform, resume } from './call-waiting.ts';
import { createDevices } from './devices.ts';
import { createDialer } from './dialer.ts';
import { partyName } from './echo-test.ts';
import { confirmEmail, createNotVerified, verificationTokenOf } from './email-verification.ts';
import { messageOf } from './format.ts';
import { createOperatorArea, isOperator } from './operator-area.ts';
import { createHistoryView } from './history.ts';
import { createIncomingRing } from './incoming-ring.ts';
import { listenForDialKeys } from './keyboard-dialling.ts';
import type { CallQuote } from './live-cost.ts';
import { afterLinkSent } from './mail-delivery.ts';
import { createPasswordReset, resetTokenOf } from './password-reset.ts';
import { createPrivacyView } from './privacy.ts';
import { createPushDevices } from './push-devices.ts';
import { createQualityPanel } from './quality-panel.ts';
import { recentNumbers } from './recent-numbers.ts';
import { registerServiceWorker, takeAnswerRequest } from './service-worker.ts';
import { startPhoneLine, type LineState, type PhoneLine } from './registration.ts';
import { createSession, type Account } from './session.ts';
import { createTopUp, takePaymentReturn } from './top-up.ts';
import { createHistoryFilters } from './usage-filters.ts';
import { createUsagePanel } from './usage-panel.ts';
import { createWaitingCallView } from './waiting-call-view.ts';
import { createTransferForm } from './transfer-form.ts';

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const api = createApiClient();
const session = createSession(api);
const views = {
  auth: element('auth-view'),
  reset: element('reset-view'),
  phone: element('phone-view'),
  privacy: element('privacy-view'),
  operator: element('operator-view'),
};
const authMessage = element('auth-message');
const withMailNote = afterLinkSent(api);
const notVerified = createNotVerified(
  session,
  { email: element('auth-email'), password: element('auth-password'), message: authMessage, resend: element('resend-verification') },
  withMailNote,
);
const registrationStatus = element('registration-status');
/** The header's badge: the words say the state; data-state only colours it. */
function showLineStatus(status: string, state: LineState): void {
  registrationStatus.textContent = status;
  if (registrationStatus.parentElement !== null) registrationStatus.parentElement.dataset.state = state;
}

const balance = createBalanceView(api, element('balance'));
// Read before the first route(): Stripe's return parameters leave the address at once.
const topUp = createTopUp(
  api,
  {
    open: element('top-up'),
    panel: element('top-up-panel'),
    amounts: element('top-up-amounts'),
    paymentForm: element('payment-form'),
    paymentElement: element('payment-element'),
    pay: element('pay'),
    message: element('top-up-message'),
    receipt: element('top-up-receipt'),
    history: element('top-up-list'),
    noTopUps: element('top-up-none'),
  },
  () => void balance.refresh(),
  takePaymentReturn(),
);
const historyFilters = createHistoryFilters(
  {
    form: element('history-filters'),
    from: element('filter-from'),
    to: element('filter-to'),
    direction: element('filter-direction'),
    outcome: element('filter-outcome'),
    country: element('filter-country'),
    number: element('filter-number'),
    csv: element('history-csv'),
  },
  () => {
    void callHistory.refresh();
    void usagePanel.refresh();
  },
);
const callHistory = createHistoryView(api, { rows: element('history-rows'), empty: element('history-empty') }, historyFilters.query);
const usagePanel = createUsagePanel(
  api,
  { panel: element('usage-panel'), charts: element('usage-charts'), message: element('usage-message') },
  historyFilters.query,
);
/** The echo test's number, as POST /sip/credentials last told it (null: off or not known yet). */
let echoTestNumber: string | null = null;
const callView = createCallView(
  {
    section: element('call-view'),
    party: element('call-party'),
    state: element('call-state'),
    timer: element('call-timer'),
    incomingActions: element('incoming-actions'),
    answer: element('answer'),
    decline: element('decline'),
    connectedActions: element('connected-actions'),
    mute: element('mute'),
    hold: element('hold'),
    hangup: element('hangup'),
    keypad: element('call-keypad'),
    cost: element('call-cost'),
    outcome: element('call-outcome'),
  },
  (user) => partyName(user, echoTestNumber),
  {
    resume: (call) => perform(resume(call, waitingCall.current === undefined ? [] : [waitingCall.current])),
    changed: () => waitingCall.refresh(),
  },
);
/** The second call: one waiting during the first, then held or talked to beside it. */
const waitingCall = createWaitingCallView(
  {
    section: element('waiting-call'),
    party: element('waiting-party'),
    state: element('waiting-state'),
    answerAndHold: element('waiting-answer'),
    decline: element('waiting-decline'),
    swap: element('swap'),
    transferToHeld: element('waiting-transfer'),
    resume: element('waiting-resume'),
    hangup: element('waiting-hangup'),
    message: element('waiting-message'),
  },
  (user) => partyName(user, echoTestNumber),
  () => callView.current,
  () => callView.refresh(),
);
const transferForm = createTransferForm(
  {
    open: element('transfer'),
    form: element('transfer-form'),
    target: element('transfer-target'),
    submit: element('transfer-send'),
    cancel: element('transfer-cancel'),
    status: element('transfer-status'),
  },
  () => callView.current,
);
const qualityPanel = createQualityPanel(api, element('call-quality'));
const dialForm = element<HTMLFormElement>('dial-form');
const remoteAudio = element<HTMLAudioElement>('remote-audio');
const devices = createDevices(
  {
    section: element('devices'),
    microphone: element('microphone'),
    level: element('mic-level'),
    speakerChoice: element('speaker-choice'),
    speaker: element('speaker'),
    message: element('device-message'),
  },
  remoteAudio,
);
/** The microphone is metered (so held) only while the dialer is on screen: not during a call, nor on another page. */
const onDialScreen = () => devices.setActive(!views.phone.hidden && !dialForm.hidden);
const privacy = createPrivacyView(
  api,
  {
    policyVersion: element('policy-version'),
    policyText: element('policy-text'),
    contact: element('privacy-contact'),
    acknowledge: element('acknowledge-policy'),
    accountActions: element('privacy-account'),
    summaryRows: element('data-summary-rows'),
    summaryPause: element('data-summary-pause'),
    deletionForm: element('deletion-form'),
    deletionPassword: element('deletion-password'),
    message: element('privacy-message'),
  },
  () => {
    // Someone else may use this browser next: the deleted account's numbers go with it.
    if (account !== undefined) recentNumbers(localStorage, account.id).clear();
    void signedOut();
  },
);

const pushDevices = createPushDevices(api, { enable: element('push-enable'), list: element('push-devices'), message: element('push-message') });
// Before the first route(): a notification's "#answer=<callId>" is read (and removed) here, not taken for a page.
const incomingRing = createIncomingRing(
  (action, call) => element(call === waitingCall.current ? (action === 'answer' ? 'waiting-answer' : 'waiting-decline') : action).click(),
  takeAnswerRequest(),
);
registerServiceWorker((click) => incomingRing.act(click));

const operatorArea = createOperatorArea(api, { link: element('operator-link'), container: element('operator-console') });
/** The pages other than the phone's, which a call or a top-up leaves. */
const offPhonePage = () => location.hash === '#privacy' || location.hash === '#operator';

const verificationToken = verificationTokenOf(location);
if (verificationToken !== undefined) void confirmEmail(api, verificationToken, authMessage);

let account: Account | undefined;
let line: PhoneLine | undefined;
/** Set while the page was opened from a password-reset mail and the new password is not set yet. */
let resetToken = resetTokenOf(location);

createPasswordReset(
  api,
  {
    forgot: element('forgot-password'),
    email: element('auth-email'),
    authMessage,
    form: element('reset-form'),
    password: element('reset-password'),
    message: element('reset-message'),
  },
  resetToken,
  withMailNote,
  () => {
    resetToken = undefined;
    history.replaceState(null, '', '/');
    route();
  },
);

function route(): void {
  const onPrivacy = location.hash === '#privacy';
  const onReset = !onPrivacy && resetToken !== undefined;
  const onOperator = !onPrivacy && !onReset && location.hash === '#operator' && isOperator(account);
  views.privacy.hidden = !onPrivacy;
  views.reset.hidden = !onReset;
  views.operator.hidden = !onOperator;
  views.auth.hidden = onPrivacy || onReset || account !== undefined;
  views.phone.hidden = onPrivacy || onReset || onOperator || account === undefined;
  onDialScreen();
  if (onPrivacy) void privacy.load(account !== undefined);
  if (onPrivacy && account !== undefined) void pushDevices.load();
  if (onOperator) {
    // From the link (or the phone page) to the console's heading.
    for (const left of [element('operator-link'), views.phone]) focusFollows(left, element('operator-heading'));
    void operatorArea.open();
  }
}

const mainElement = element('main');
/**
 * When the focus is on what is being hidden (or on the page as a whole), moves it to the heading of what replaces it,
 * so a keyboard or screen-reader user is not sent back to the top of the page. A heading, not a field: no on-screen
 * keyboard pops up.
 */
function focusFollows(hidden: HTMLElement, heading: HTMLElement): void {
  const focused = document.activeElement;
  if (focused === null || focused === document.body || focused === mainElement || hidden.contains(focused)) heading.focus();
}

/**
 * After a call: credit and history have changed (its quality once reported); the dialer is back, unless the second
 * of two calls is left, which the call view shows from now on.
 */
function callOver(reported: Promise<void>): void {
  const left = waitingCall.release();
  if (left !== undefined) {
    callView.nameButtons(false);
    showCall(left);
  } else {
    dialForm.hidden = false;
    focusFollows(element('call-view'), element('dial-heading'));
    onDialScreen();
  }
  // The server releases the call's credit hold when it settles the record: read the balance after that, not before.
  void reported.then(() => callHistory.refreshUntilSettled()).then(() => Promise.all([balance.refresh(), usagePanel.refresh()]));
}

/** The second of two calls is over: the first stays as it is; history and credit change as after any call. */
function secondCallOver(call: Call): void {
  callView.nameButtons(false);
  callView.refresh();
  const party = partyName(call.remoteUser, echoTestNumber);
  element('waiting-message').textContent = '';
  element('call-outcome').textContent =
    call.state === 'ended' ? `Call with ${party} ended` : call.end?.status === 603 ? `Declined the call from ${party}` : `Missed the call from ${party}`;
  void callHistory.refreshUntilSettled().then(() => Promise.all([balance.refresh(), usagePanel.refresh()]));
}

function showCall(call: Call): void {
  // A call needs the phone view in front, wherever the user was (a ringing call on the privacy page goes unseen).
  if (offPhonePage()) location.hash = '';
  // The quality panel measures from the connection on: a call shown once connected (the second of two) goes without.
  const reported = call.state === 'connected' ? Promise.resolve() : qualityPanel.watch(call);
  if (call.state !== 'connected') transferForm.reset();
  callView.show(call, () => callOver(reported));
  focusFollows(dialForm, element('call-party'));
  dialForm.hidden = true;
  onDialScreen();
}

const dialer = createDialer(
  {
    form: dialForm,
    country: element('dial-country'),
    number: element('dial-number'),
    dialled: element('dial-e164'),
    keypad: element('dial-keypad'),
    echoTest: element('echo-test'),
    recent: element('recent'),
    recentList: element('recent-numbers'),
    clearRecent: element('clear-recent'),
    suggestions: element('recent-suggestions'),
  },
  (number) => {
    const phone = line?.phone;
    if (phone === undefined || callView.busy) return false;
    try {
      const call = phone.call(number);
      showCall(call);
      // The price is shown when it comes; a number the API cannot quote is refused by the call itself, with its reason.
      api.get<CallQuote>(`/calls/quote?number=${encodeURIComponent(number)}`).then(
        (quote) => callView.price(call, quote),
        () => undefined,
      );
      return true;
    } catch (error) {
      element('call-outcome').textContent = messageOf(error);
      return false;
    }
  },
);

listenForDialKeys(
  document,
  () => (views.phone.hidden ? 'elsewhere' : !dialForm.hidden ? 'dial' : callView.busy ? 'call' : 'elsewhere'),
  (action) => {
    if (action.kind === 'type') dialer.type(action.key);
    else if (action.kind === 'erase') dialer.erase();
    else if (action.kind === 'call') dialer.call();
    else callView.tone(action.key);
  },
);
// Top up is in the header: its panel is on the phone page.
element('top-up').addEventListener('click', () => {
  if (offPhonePage()) location.hash = '';
});

function signedIn(signedInAccount: Account): void {
  account = signedInAccount;
  element('account-email').textContent = account.email;
  element('sign-out').hidden = false;
  element('credit').hidden = false;
  dialer.useRecent(recentNumbers(localStorage, account.id));
  operatorArea.allow(account);
  route();
  // From the sign-in form to the dialer; a page opened signed in keeps its focus at the top.
  if (!views.phone.hidden && views.auth.contains(document.activeElement)) element('dial-heading').focus();
  void balance.refresh();
  void topUp.settleReturn().catch((error: unknown) => (element('top-up-message').textContent = messageOf(error)));
  void callHistory.refresh();
  void api.get<{ numbers: string[] }>('/numbers').then(({ numbers }) => {
    element('own-number').textContent = numbers[0] ?? 'none yet';
  });
  line = startPhoneLine(api, {
    remoteAudio,
    microphoneId: () => devices.microphoneId(),
    showStatus: showLineStatus,
    onIncoming(call) {
      const from = partyName(call.remoteUser, echoTestNumber);
      const calls = [callView.current, waitingCall.current].filter((shown) => shown !== undefined);
      switch (arrival(calls)) {
        case 'show':
          showCall(call);
          incomingRing.ring(call, from);
          return;
        case 'wait':
          callView.nameButtons(true);
          waitingCall.show(call, (over) => secondCallOver(over));
          incomingRing.ring(call, from, true);
          return;
        case 'refuse':
          // Two calls at most: a third is busy, not left ringing unseen.
          void call.refuseBusy();
      }
    },
    busy: () => callView.busy,
    onReconnecting: (on) => callView.reconnecting(on),
    onEchoTestNumber(number) {
      echoTestNumber = number;
      dialer.setEchoTestNumber(number);
    },
  });
}

async function signedOut(): Promise<void> {
  account = undefined;
  const stopping = line;
  line = undefined;
  await stopping?.stop();
  showLineStatus('Offline', 'offline');
  element('account-email').textContent = '';
  element('sign-out').hidden = true;
  element('credit').hidden = true;
  dialer.useRecent(undefined);
  operatorArea.allow(undefined);
  void pushDevices.forgetThisBrowser();
  route();
  if (!views.auth.hidden) focusFollows(element('sign-out'), element('auth-heading'));
}

element<HTMLFormElement>('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const email = element<HTMLInputElement>('auth-email').value.trim();
  const password = element<HTMLInputElement>('auth-password').value;
  const action = (event.submitter as HTMLButtonElement | null)?.value ?? 'sign-in';
  authMessage.textContent = '';
  notVerified.reset();
  const attempt =
    action === 'sign-up'
      ? session.signUp(email, password).then(async (message) => (authMessage.textContent = await withMailNote(`Almost there: ${message}. Then sign in here.`)))
      : session.signIn(email, password).then((signedInAccount) => {
          element<HTMLInputElement>('auth-password').value = '';
          return signedIn(signedInAccount);
        });
  attempt.catch(async (error: unknown) => {
    if (!(await notVerified.handle(error))) authMessage.textContent = messageOf(error);
  });
});

element('sign-out').addEventListener('click', () => {
  session.signOut().then(signedOut, (error: unknown) => {
    // An expired session is signed out already.
    if (error instanceof ApiError && error.status === 401) void signedOut();
    else showLineStatus(`Sign-out failed: ${messageOf(error)}`, 'offline');
  });
});

// Close the registration when the tab goes, so calls stop ringing a page that is not there.
window.addEventListener('pagehide', () => void line?.stop());
window.addEventListener('hashchange', route);

session.resume().then(
  (resumed) => (resumed === undefined ? route() : signedIn(resumed)),
  (error: unknown) => {
    authMessage.textContent = messageOf(error);
    route();
  },
);

/**
 * The privacy page: the policy (GET /privacy/policy, with the operator's contact, acknowledged when a material
 * change asks for it), what is held by kind and when it goes (GET /privacy/summary), the data export (GET
 * /privacy/export, a download), and account deletion (POST /privacy/deletion, which takes the password again).
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';

interface Policy {
  readonly version: string;
  readonly publishedAt: string;
  readonly text: string;
  readonly contact: { readonly email: string };
  readonly acknowledgementRequired: { readonly version: string } | null;
}

type DataKind = 'account' | 'calls' | 'payments' | 'devices' | 'mail' | 'security';
type DeletionPause = 'legal_obligation' | 'open_dispute';

interface DataSummary {
  readonly kinds: readonly {
    readonly kind: DataKind;
    readonly holds: readonly string[];
    readonly count: number;
    readonly kept: string;
    readonly nextChange: { readonly on: string; readonly change: 'deidentify' | 'delete'; readonly what: string } | null;
  }[];
  readonly deletionPausedBy: readonly DeletionPause[];
}

const KIND_NAMES: Record<DataKind, string> = {
  account: 'Account',
  calls: 'Calls',
  payments: 'Payments',
  devices: 'Devices and numbers',
  mail: 'Mail',
  security: 'Security events',
};

const PAUSES: Record<DeletionPause, string> = {
  legal_obligation: 'a legal obligation requires us to keep your data for now',
  open_dispute: 'a card dispute on one of your payments is still open',
};

/** The notice of what would pause deletion, or '' when nothing would. */
function pauseNotice(pauses: readonly DeletionPause[]): string {
  if (pauses.length === 0) return '';
  return `If you delete your account now, erasure waits: ${pauses.map((pause) => PAUSES[pause]).join('; and ')}. It resumes by itself once that ends.`;
}

function cell(row: HTMLTableRowElement, text: string, tag: 'td' | 'th' = 'td'): HTMLTableCellElement {
  const element = document.createElement(tag);
  element.textContent = text;
  row.append(element);
  return element;
}

/** The date in the user's locale; one already past is due at the operator's next retention run. */
function when(date: Date): string {
  return date.getTime() <= Date.now() ? 'At the next retention run' : date.toLocaleDateString(undefined, { dateStyle: 'long' });
}

function summaryRow(entry: DataSummary['kinds'][number]): HTMLTableRowElement {
  const row = document.createElement('tr');
  cell(row, KIND_NAMES[entry.kind], 'th').scope = 'row';
  cell(row, entry.holds.join('; '));
  cell(row, entry.count.toLocaleString());
  cell(row, entry.kept);
  const next = entry.nextChange;
  cell(row, next === null ? 'Nothing scheduled' : `${when(new Date(next.on))}: ${next.what}`);
  return row;
}

export interface PrivacyElements {
  readonly policyVersion: HTMLElement;
  readonly policyText: HTMLElement;
  readonly contact: HTMLAnchorElement;
  readonly acknowledge: HTMLButtonElement;
  /** Shown only when signed in: export and deletion. */
  readonly accountActions: HTMLElement;
  /** The table body of what is held, by kind, and the notice of what would pause deletion. */
  readonly summaryRows: HTMLElement;
  readonly summaryPause: HTMLElement;
  readonly deletionForm: HTMLFormElement;
  readonly deletionPassword: HTMLInputElement;
  readonly message: HTMLElement;
}

export interface PrivacyView {
  load(signedIn: boolean): Promise<void>;
}

export function createPrivacyView(api: ApiClient, elements: PrivacyElements, onDeleted: () => void): PrivacyView {
  let pendingVersion: string | undefined;

  elements.acknowledge.addEventListener('click', () => {
    if (pendingVersion === undefined) return;
    api.post('/privacy/policy/acknowledge', { version: pendingVersion }).then(
      () => {
        elements.acknowledge.hidden = true;
        elements.message.textContent = 'Thank you: policy acknowledged.';
      },
      (error: unknown) => (elements.message.textContent = messageOf(error)),
    );
  });

  elements.deletionForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const password = elements.deletionPassword.value;
    api.post<{ status: string }>('/privacy/deletion', { password }).then(
      ({ status }) => {
        elements.deletionPassword.value = '';
        elements.message.textContent =
          status === 'paused' ? 'Your account is closed; erasure is paused by a legal hold and resumes when it is lifted.' : 'Your account is deleted.';
        onDeleted();
      },
      (error: unknown) => (elements.message.textContent = `Not deleted: ${messageOf(error)}`),
    );
  });

  async function loadSummary() {
    try {
      const summary = await api.get<DataSummary>('/privacy/summary');
      elements.summaryRows.replaceChildren(...summary.kinds.map(summaryRow));
      elements.summaryPause.textContent = pauseNotice(summary.deletionPausedBy);
      elements.summaryPause.hidden = summary.deletionPausedBy.length === 0;
    } catch (error) {
      elements.summaryRows.replaceChildren();
      elements.summaryPause.hidden = false;
      elements.summaryPause.textContent = `What we hold could not be loaded: ${messageOf(error)}`;
    }
  }

  return {
    async load(signedIn) {
      elements.accountActions.hidden = !signedIn;
      if (signedIn) void loadSummary();
      try {
        const policy = await api.get<Policy>('/privacy/policy');
        elements.policyVersion.textContent = `Version ${policy.version}, published ${new Date(policy.publishedAt).toLocaleDateString()}`;
        elements.policyText.textContent = policy.text;
        elements.contact.textContent = policy.contact.email;
        elements.contact.href = `mailto:${policy.contact.email}`;
        pendingVersion = policy.acknowledgementRequired?.version;
        elements.acknowledge.hidden = pendingVersion === undefined;
      } catch (error) {
        elements.policyText.textContent = `The policy could not be loaded: ${messageOf(error)}`;
      }
    },
  };
}

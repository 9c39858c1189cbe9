/**
 * The privacy page: the policy (GET /privacy/policy, with the operator's contact, acknowledged when a material
 * change asks for it), the data export (GET /privacy/export, a download), and account deletion (POST
 * /privacy/deletion, which takes the password again).
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

export interface PrivacyElements {
  readonly policyVersion: HTMLElement;
  readonly policyText: HTMLElement;
  readonly contact: HTMLAnchorElement;
  readonly acknowledge: HTMLButtonElement;
  /** Shown only when signed in: export and deletion. */
  readonly accountActions: HTMLElement;
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

  return {
    async load(signedIn) {
      elements.accountActions.hidden = !signedIn;
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

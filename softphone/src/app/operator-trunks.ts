/**
 * The console's trunks section: carriers listed with their health and registration as GET /admin/trunks reports
 * them, added, edited (one form for both) and removed. Passwords are write-only: the API never sends them back, and
 * a blank password field on an edit keeps the stored one.
 */
import type { ApiClient } from './api-client.ts';
import { formatWhen } from './format.ts';
import { labelled } from './console-parts.ts';
import { actions, button, checkbox, form, group, input, listOf, select, statusLine, table } from './operator-parts.ts';
import type { ConsoleSection } from './operator-section.ts';

interface Trunk {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
  readonly outboundUri: string | null;
  readonly authUsername: string | null;
  readonly hasPassword: boolean;
  readonly inboundSources: readonly string[];
  readonly enabled: boolean;
  readonly numberFormat: string;
  readonly techPrefix: string | null;
  readonly callerIdHeader: string;
  readonly callerIdWithheld: boolean;
  readonly codecOrder: readonly string[] | null;
  readonly tlsCaPem: string | null;
  readonly tlsPinSha256: string | null;
  readonly mediaEncryption: string;
  readonly registration: {
    readonly uri: string;
    readonly username: string;
    readonly hasPassword: boolean;
    readonly expires: number;
    readonly didSource: string;
  } | null;
  /** The worst state any signaling node reports, naming it. */
  readonly health: {
    readonly nodeId: string;
    readonly state: string;
    readonly stale: boolean;
    readonly consecutiveFailures: number;
    readonly lastStatus: number | null;
  } | null;
  readonly registrationState: {
    readonly heldBy: string | null;
    readonly state: string | null;
    readonly lastStatus: number | null;
    readonly lastReason: string | null;
    readonly expiresAt: string | null;
    readonly nextRetryAt: string | null;
  } | null;
}

function healthText(trunk: Trunk): string {
  const health = trunk.health;
  if (trunk.outboundUri === null) return 'no outbound';
  if (health === null) return 'unknown: no signaling node reports it';
  if (health.stale) return `unknown: node ${health.nodeId} stopped reporting`;
  if (health.state === 'down') return `down on ${health.nodeId}: ${health.consecutiveFailures} pings unanswered`;
  return health.state === 'up' ? `up${health.lastStatus === null ? '' : ` (${health.lastStatus})`}` : 'unknown: not pinged yet';
}

function registrationText(trunk: Trunk): string {
  const state = trunk.registrationState;
  if (trunk.registration === null || state === null) return 'does not register';
  const status = state.lastStatus === null ? '' : ` (${state.lastStatus})`;
  switch (state.state) {
    case 'registered':
      return `registered${status} until ${formatWhen(state.expiresAt!)}`;
    case 'failed':
      return `failed${status}${state.lastReason === 'refused' ? '' : `, ${state.lastReason}`} on ${state.heldBy}, retried ${formatWhen(state.nextRetryAt!)}`;
    case null:
      return state.heldBy === null ? 'unknown: no node registers it now' : `node ${state.heldBy} registers it, no answer yet`;
    default:
      return state.state;
  }
}

export function createTrunks(api: ApiClient, container: HTMLElement): ConsoleSection {
  const status = statusLine();
  const list = table('Trunks, in the order calls try them', [
    'Name',
    'Priority',
    'Outbound',
    'Inbound from',
    'Digest user',
    'Health',
    'Registration',
    'Actions',
  ]);
  let editing: Trunk | undefined;

  const name = input({ required: true });
  const priority = input({ type: 'number', value: '100', min: 0, max: 10_000 });
  const outboundUri = input();
  const inbound = input();
  const enabled = checkbox('Enabled');
  const numberFormat = select([
    ['e164', 'E.164 with + (+14155550100)'],
    ['e164-no-plus', 'E.164 without + (14155550100)'],
    ['national', 'National digits'],
  ]);
  const techPrefix = input();
  const callerIdHeader = select([
    ['from', 'From only'],
    ['pai', 'From and P-Asserted-Identity'],
  ]);
  const withheld = checkbox('Withhold caller ID (needs P-Asserted-Identity)');
  const codecOrder = input();
  // A CA certificate is many lines of PEM.
  const tlsCaPem = document.createElement('textarea');
  tlsCaPem.rows = 4;
  const tlsPin = input();
  const mediaEncryption = select([
    ['none', 'Plain RTP'],
    ['sdes', 'SRTP, keys in the SDP (SDES); never plain RTP'],
  ]);
  const authUsername = input();
  const authPassword = input({ type: 'password' });
  authPassword.autocomplete = 'new-password';
  const registerUri = input();
  const registerUsername = input();
  const registerPassword = input({ type: 'password' });
  registerPassword.autocomplete = 'new-password';
  const registerExpires = input({ type: 'number', value: '3600', min: 60, max: 86_400 });
  const didSource = select([
    ['to', 'To header'],
    ['request-uri', 'Request-URI'],
  ]);

  const submit = button('Add trunk', () => undefined, { type: 'submit' });
  const cancel = button('Cancel edit', () => startAdding());
  const trunkForm = form('Add a trunk', () => void save());
  trunkForm.body.append(
    labelled('Trunk name', name),
    labelled('Priority', priority, 'lower is tried first'),
    labelled('Outbound URI', outboundUri, 'e.g. sip:sbc.carrier.example:5060;transport=udp; blank: inbound only'),
    labelled('Inbound CIDRs', inbound, "addresses the carrier's calls come from, e.g. 203.0.113.0/28, separated by commas"),
    enabled.block,
    group(
      'Dialling rules',
      labelled('Number format', numberFormat),
      labelled('Tech prefix', techPrefix, 'digits put before the number'),
      labelled('Caller ID header', callerIdHeader),
      withheld.block,
      labelled('Codec order', codecOrder, 'e.g. PCMA, PCMU; blank: as offered'),
    ),
    group(
      'TLS and media encryption (need a sips: or ;transport=tls outbound URI)',
      labelled('TLS CA (PEM)', tlsCaPem, "the carrier's certificate must chain to it, host name checked; blank: the server's CA file only"),
      labelled('TLS pin (SHA-256)', tlsPin, "the carrier certificate's fingerprint, 64 hex digits; blank: not pinned"),
      labelled('Media to the carrier', mediaEncryption),
    ),
    group(
      "The carrier's digest (write-only password)",
      labelled('Digest username', authUsername, 'blank: the carrier asks for no digest'),
      labelled('Digest password', authPassword, 'write-only'),
    ),
    group(
      'Registration with the carrier',
      labelled('Registrar URI', registerUri, 'blank: the trunk does not register'),
      labelled('Registration username', registerUsername),
      labelled('Registration password', registerPassword, 'write-only'),
      labelled('Registration expiry (seconds)', registerExpires),
      labelled('Inbound number read from', didSource),
    ),
    actions(submit, cancel),
  );
  /** Says, under each password field, whether a blank one keeps a stored password. */
  const passwordHints = () => {
    const hint = (password: HTMLInputElement, stored: boolean | undefined) => {
      password.placeholder = stored ? 'unchanged' : '';
      const small = password.parentElement?.querySelector('small');
      if (small) small.textContent = stored ? 'write-only: blank keeps the stored one' : 'write-only: never shown again';
    };
    hint(authPassword, editing?.hasPassword);
    hint(registerPassword, editing?.registration?.hasPassword);
  };

  function startAdding() {
    editing = undefined;
    trunkForm.form.reset();
    trunkForm.legend.textContent = 'Add a trunk';
    submit.textContent = 'Add trunk';
    cancel.hidden = true;
    enabled.box.checked = true;
    passwordHints();
  }

  function startEditing(trunk: Trunk) {
    editing = trunk;
    trunkForm.legend.textContent = `Edit trunk ${trunk.name}`;
    submit.textContent = 'Save trunk';
    cancel.hidden = false;
    name.value = trunk.name;
    priority.value = String(trunk.priority);
    outboundUri.value = trunk.outboundUri ?? '';
    inbound.value = trunk.inboundSources.join(', ');
    enabled.box.checked = trunk.enabled;
    numberFormat.value = trunk.numberFormat;
    techPrefix.value = trunk.techPrefix ?? '';
    callerIdHeader.value = trunk.callerIdHeader;
    withheld.box.checked = trunk.callerIdWithheld;
    codecOrder.value = trunk.codecOrder?.join(', ') ?? '';
    tlsCaPem.value = trunk.tlsCaPem ?? '';
    tlsPin.value = trunk.tlsPinSha256 ?? '';
    mediaEncryption.value = trunk.mediaEncryption;
    authUsername.value = trunk.authUsername ?? '';
    authPassword.value = '';
    registerUri.value = trunk.registration?.uri ?? '';
    registerUsername.value = trunk.registration?.username ?? '';
    registerPassword.value = '';
    registerExpires.value = String(trunk.registration?.expires ?? 3600);
    didSource.value = trunk.registration?.didSource ?? 'to';
    passwordHints();
    name.focus();
  }

  /** The digest credentials as the API takes them: omitted keeps the stored ones, null removes them. */
  function auth(): { username: string; password: string } | null | undefined {
    const username = authUsername.value.trim();
    if (username === '') return null;
    if (authPassword.value !== '') return { username, password: authPassword.value };
    if (editing?.hasPassword && editing.authUsername === username) return undefined;
    throw new Error(editing?.hasPassword ? 'a new digest username needs its password' : 'the digest username needs a password');
  }

  function registration() {
    const uri = registerUri.value.trim();
    if (uri === '') return null;
    const password = registerPassword.value === '' ? (editing === undefined ? null : undefined) : registerPassword.value;
    return { uri, username: registerUsername.value.trim(), password, expires: Number(registerExpires.value), didSource: didSource.value };
  }

  const save = () =>
    status.run(editing === undefined ? 'The trunk was not added' : 'The trunk was not saved', async () => {
      const adding = editing === undefined;
      const credentials = auth();
      const codecs = listOf(codecOrder.value);
      const body = {
        name: name.value.trim(),
        priority: Number(priority.value),
        outboundUri: outboundUri.value.trim() === '' ? null : outboundUri.value.trim(),
        ...(credentials === undefined ? {} : { auth: credentials }),
        inboundSources: listOf(inbound.value),
        enabled: enabled.box.checked,
        numberFormat: numberFormat.value,
        techPrefix: techPrefix.value.trim() === '' ? null : techPrefix.value.trim(),
        callerIdHeader: callerIdHeader.value,
        callerIdWithheld: withheld.box.checked,
        codecOrder: codecs.length === 0 ? null : codecs,
        tlsCaPem: tlsCaPem.value.trim() === '' ? null : tlsCaPem.value.trim(),
        tlsPinSha256: tlsPin.value.trim() === '' ? null : tlsPin.value.trim(),
        mediaEncryption: mediaEncryption.value,
        registration: registration(),
      };
      const saved = adding ? await api.post<Trunk>('/admin/trunks', body) : await api.put<Trunk>(`/admin/trunks/${editing!.id}`, body);
      startAdding();
      await load();
      return `Trunk ${saved.name} ${adding ? 'added' : 'saved'}.`;
    });

  const remove = (trunk: Trunk) =>
    void status.run('The trunk was not removed', async () => {
      if (!confirm(`Remove trunk ${trunk.name}? Calls stop using it at once.`)) return undefined;
      await api.delete(`/admin/trunks/${trunk.id}`);
      if (editing?.id === trunk.id) startAdding();
      await load();
      return `Trunk ${trunk.name} removed.`;
    });

  async function load() {
    const { trunks } = await api.get<{ trunks: Trunk[] }>('/admin/trunks');
    list.fill(
      trunks.map((trunk) => [
        trunk.enabled ? trunk.name : `${trunk.name} (disabled)`,
        String(trunk.priority),
        trunk.outboundUri ?? '–',
        trunk.inboundSources.join(', ') || '–',
        trunk.authUsername === null ? '–' : `${trunk.authUsername}${trunk.hasPassword ? ' (password set)' : ''}`,
        healthText(trunk),
        registrationText(trunk),
        actions(
          button('Edit', () => startEditing(trunk), { name: `Edit trunk ${trunk.name}` }),
          button('Remove', () => remove(trunk), { name: `Remove trunk ${trunk.name}` }),
        ),
      ]),
    );
  }

  container.replaceChildren(status.element, list.table, trunkForm.form);
  startAdding();
  return {
    refresh: async () => void (await status.run('Trunks unavailable', async () => void (await load()))),
    clear() {
      list.fill([]);
      status.say('');
      startAdding();
    },
  };
}

/**
 * The operator console's accounts section: find an account by its address (GET /admin/accounts?email=), then its page:
 * balance and credit adjustments, outbound suspension and its lift, call limits, legal holds and the audited export of
 * its data. Every change goes through its admin route, which audits it; a refusal shows the problem's message.
 */
import type { ApiClient } from './api-client.ts';
import { actionForm, figure, heading, labelled, textInput } from './console-parts.ts';
import { downloadFile } from './file-download.ts';
import { formatWhen, messageOf } from './format.ts';
import { decimalOfMinor, parseMajorUnits } from './major-units.ts';
import type { ConsoleSection } from './operator-section.ts';
import { operatorTable } from './operator-table.ts';

interface Listed {
  readonly id: string;
  readonly email: string | null;
  readonly role: string;
  readonly status: string;
  readonly createdAt: string;
}
interface Balance {
  readonly currency: string;
  readonly balance: string;
  readonly reserved: string;
  readonly available: string;
}
interface Limits {
  readonly maxConcurrentCalls: number | null;
  readonly callsPerMinute: number | null;
  readonly dailySpendCap: string | null;
  readonly allowedCountries: readonly string[] | null;
}
interface CallLimits {
  readonly effective: { readonly [K in keyof Limits]: NonNullable<Limits[K]> };
  readonly overrides: Limits;
  readonly newAccount: boolean;
  readonly suspension: { readonly since: string; readonly reason: string; readonly by: string | null } | null;
}
interface Hold {
  readonly id: string;
  readonly reason: string | null;
  readonly placedAt: string;
  readonly liftedAt: string | null;
}

/** Throws the problem as an error, so the form's status line shows it. */
function amountOrThrow(text: string, currency: string, negative: boolean): number {
  const amount = parseMajorUnits(text, currency, { negative });
  if (!amount.ok) throw new Error(amount.problem);
  return amount.minor;
}

function numberInput(min: number, max: number): HTMLInputElement {
  const input = textInput({ type: 'number' });
  input.min = String(min);
  input.max = String(max);
  input.step = '1';
  return input;
}

/** An action that takes the operator's reason (audited with it): the field is emptied once the action is done. */
function reasonForm(name: string, [label, hint]: readonly [string, string], buttonText: string, act: (reason: string) => Promise<string>) {
  const reason = textInput({ required: true, maxLength: 500 });
  return actionForm(name, [labelled(label, reason, hint)], buttonText, async () => {
    const done = await act(reason.value);
    reason.value = '';
    return done;
  });
}

/** One account's page; `refresh` reads it again and redraws what changes (the forms keep their status lines). */
function accountPage(api: ApiClient, account: Listed): { readonly element: HTMLElement; refresh(): Promise<void> } {
  const base = `/admin/accounts/${account.id}`;
  const element = document.createElement('section');
  const name = account.email ?? `${account.id} (erased)`;
  element.setAttribute('aria-label', `Account ${name}`);
  element.className = 'operator-account';
  let currency = 'usd';
  let limits: CallLimits | undefined;

  const summary = document.createElement('dl');
  summary.className = 'operator-figures';

  const amount = textInput({ required: true, inputMode: 'decimal', maxLength: 16 });
  const amountField = labelled('Amount', amount, 'In major units (5.00); negative to debit.');
  const adjustmentReason = textInput({ required: true, maxLength: 500 });
  const credit = actionForm(
    'Adjust credit',
    [amountField, labelled('Adjustment reason', adjustmentReason, 'The owner sees it in their history.')],
    'Adjust credit',
    async () => {
      const minor = amountOrThrow(amount.value, currency, true);
      await api.post(`${base}/adjustments`, { amount: decimalOfMinor(minor, currency), reason: adjustmentReason.value });
      amount.value = '';
      adjustmentReason.value = '';
      const balance = await refresh();
      return `Credit adjusted by ${decimalOfMinor(minor, currency)} ${currency.toUpperCase()}: the balance is ${balance.balance} ${currency.toUpperCase()}.`;
    },
  );

  const suspensionState = document.createElement('p');
  suspensionState.dataset.state = 'outbound';
  const suspension = reasonForm(
    'Outbound calling',
    ['Suspension reason', 'Mailed to the owner with the suspension; kept in the audit log.'],
    'Suspend outbound calling',
    async (reason) => {
      const lifting = limits?.suspension != null;
      await api.post(`${base}/outbound-suspension${lifting ? '/lift' : ''}`, { reason });
      await refresh();
      return lifting ? 'Outbound calling is allowed again.' : 'Outbound calling is suspended.';
    },
  );

  const effective = document.createElement('dl');
  effective.className = 'operator-figures';
  const maxConcurrent = numberInput(1, 1000);
  const perMinute = numberInput(0, 100_000);
  const spendCap = textInput({ inputMode: 'decimal', maxLength: 16 });
  const spendCapField = labelled('Daily spend cap', spendCap, 'In major units over any 24 hours; 0: no cap.');
  const countries = textInput({ maxLength: 1000 });
  const limitsForm = actionForm(
    'Call limits',
    [
      labelled('Concurrent calls', maxConcurrent),
      labelled('Calls per minute', perMinute, '0: no limit.'),
      spendCapField,
      labelled('Allowed countries', countries, 'ISO codes separated by commas (GB, FR), or * for anywhere.'),
    ],
    'Save call limits',
    async () => {
      const integer = (input: HTMLInputElement) => (input.value === '' ? null : input.valueAsNumber);
      const listed = countries.value
        .split(',')
        .map((code) => code.trim().toUpperCase())
        .filter((code) => code !== '');
      await api.put(`${base}/call-limits`, {
        maxConcurrentCalls: integer(maxConcurrent),
        callsPerMinute: integer(perMinute),
        dailySpendCap: spendCap.value.trim() === '' ? null : decimalOfMinor(amountOrThrow(spendCap.value, currency, false), currency),
        allowedCountries: countries.value.trim() === '' ? null : listed,
      });
      await refresh();
      return 'Call limits saved.';
    },
  );

  const holdsList = document.createElement('div');
  const holds = reasonForm(
    'Legal holds',
    ['Legal hold reason', 'The legal basis, e.g. a case number. Erasure of the account waits while a hold is active.'],
    'Place legal hold',
    async (reason) => {
      await api.post(`${base}/legal-holds`, { reason });
      await refresh();
      return 'Legal hold placed.';
    },
  );

  const dataExport = reasonForm('Data export', ['Export reason', 'Recorded in the audit log with the export.'], 'Download account data', async (reason) => {
    const file = await downloadFile(api, `${base}/export?reason=${encodeURIComponent(reason)}`, `dialo-account-${account.id}.json`);
    return `Downloaded ${file}.`;
  });

  const liftButton = (hold: Hold) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Lift';
    button.setAttribute('aria-label', `Lift legal hold: ${hold.reason ?? hold.id}`);
    button.addEventListener('click', () => {
      button.disabled = true;
      api
        .post(`${base}/legal-holds/${hold.id}/lift`)
        .then(refresh)
        .then(
          () => (holds.status.textContent = 'Legal hold lifted.'),
          (error: unknown) => (holds.status.textContent = messageOf(error)),
        )
        .finally(() => (button.disabled = false));
    });
    return button;
  };

  const drawHolds = (list: readonly Hold[]) => {
    if (list.length === 0) return holdsList.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'No legal holds.' }));
    const rows = list.map((hold) => ({
      key: hold.id,
      cells: [
        hold.reason ?? '(erased)',
        formatWhen(hold.placedAt),
        hold.liftedAt === null ? 'Active' : formatWhen(hold.liftedAt),
        hold.liftedAt === null ? liftButton(hold) : '',
      ],
    }));
    holdsList.replaceChildren(operatorTable('Legal holds, newest first', ['Reason', 'Placed', 'Lifted', 'Action'], rows));
  };

  async function refresh(): Promise<Balance> {
    const [balance, callLimits, { holds: list }] = await Promise.all([
      api.get<Balance>(`${base}/balance`),
      api.get<CallLimits>(`${base}/call-limits`),
      api.get<{ holds: Hold[] }>(`${base}/legal-holds`),
    ]);
    currency = balance.currency;
    limits = callLimits;
    const code = currency.toUpperCase();
    const money = (value: string) => `${value} ${code}`;
    summary.replaceChildren(
      figure('status', 'Status', account.status),
      figure('role', 'Role', account.role),
      figure('since', 'Since', formatWhen(account.createdAt)),
      figure('balance', 'Balance', money(balance.balance)),
      figure('reserved', 'Held for calls', money(balance.reserved)),
      figure('available', 'Available', money(balance.available)),
    );
    amountField.querySelector('label')!.textContent = `Amount (${code})`;
    spendCapField.querySelector('label')!.textContent = `Daily spend cap (${code})`;
    const { suspension: suspended, effective: now, overrides } = callLimits;
    suspensionState.textContent =
      suspended === null
        ? 'Outbound calling is allowed.'
        : `Outbound calling is suspended since ${formatWhen(suspended.since)}${suspended.by === null ? ' (by pattern detection)' : ''}: ${suspended.reason}`;
    suspension.button.textContent = suspended === null ? 'Suspend outbound calling' : 'Lift the suspension';
    effective.replaceChildren(
      figure('max-concurrent', 'Concurrent calls', String(now.maxConcurrentCalls)),
      figure('calls-per-minute', 'Calls per minute', now.callsPerMinute === 0 ? 'no limit' : String(now.callsPerMinute)),
      figure('daily-spend-cap', 'Daily spend cap', Number(now.dailySpendCap) === 0 ? 'no cap' : money(now.dailySpendCap)),
      figure('allowed-countries', 'Allowed countries', now.allowedCountries.join(', ') || 'none'),
    );
    maxConcurrent.value = overrides.maxConcurrentCalls === null ? '' : String(overrides.maxConcurrentCalls);
    perMinute.value = overrides.callsPerMinute === null ? '' : String(overrides.callsPerMinute);
    spendCap.value = overrides.dailySpendCap ?? '';
    countries.value = overrides.allowedCountries?.join(', ') ?? '';
    for (const [input, fallback] of [
      [maxConcurrent, now.maxConcurrentCalls],
      [perMinute, now.callsPerMinute],
      [spendCap, now.dailySpendCap],
      [countries, now.allowedCountries.join(', ')],
    ] as const) {
      input.placeholder = `default: ${fallback}`;
    }
    drawHolds(list);
    return balance;
  }

  const limitsNote = document.createElement('p');
  limitsNote.textContent = 'In effect now; a blank field keeps the operator default for this account.';
  element.append(
    heading(name),
    summary,
    heading('Credit', 'h5'),
    credit.form,
    heading('Outbound calling', 'h5'),
    suspensionState,
    suspension.form,
    heading('Call limits', 'h5'),
    effective,
    limitsNote,
    limitsForm.form,
    heading('Legal holds', 'h5'),
    holdsList,
    holds.form,
    heading('Data export', 'h5'),
    dataExport.form,
  );
  return {
    element,
    refresh: async () => {
      await refresh();
    },
  };
}

export function createAccounts(api: ApiClient, container: HTMLElement): ConsoleSection {
  const email = textInput({ type: 'email', required: true, maxLength: 254 });
  const shown = document.createElement('div');
  let current: ReturnType<typeof accountPage> | undefined;
  /** Only the latest search draws: a slow answer for an earlier address must not replace a newer one. */
  let searches = 0;
  const search = actionForm(
    'Find an account',
    [labelled('Account e-mail', email, 'The whole address, in any case: addresses are stored sealed, so no part of one can be searched for.')],
    'Find account',
    async () => {
      searches += 1;
      const mine = searches;
      const address = email.value.trim();
      const { accounts } = await api.get<{ accounts: Listed[] }>(`/admin/accounts?limit=1&email=${encodeURIComponent(address)}`);
      if (mine !== searches) return '';
      const [found] = accounts;
      if (found === undefined) {
        current = undefined;
        shown.replaceChildren();
        return `No account has the address ${address}.`;
      }
      const page = accountPage(api, found);
      await page.refresh();
      if (mine !== searches) return '';
      current = page;
      shown.replaceChildren(page.element);
      return `Showing ${found.email ?? found.id}.`;
    },
  );
  container.replaceChildren(search.form, shown);
  return {
    refresh: async () => {
      try {
        await current?.refresh();
      } catch (error) {
        search.status.textContent = `The account could not be read: ${messageOf(error)}`;
      }
    },
    clear() {
      searches += 1;
      current = undefined;
      email.value = '';
      search.status.textContent = '';
      shown.replaceChildren();
    },
  };
}

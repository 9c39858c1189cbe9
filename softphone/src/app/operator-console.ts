/**
 * The operator console (a chunk of its own, loaded only for operators by operator-area.ts): a nav of sections, each
 * drawn the first time it is opened and read again each time it comes back on screen. The API refuses every admin
 * route to anyone but an operator; this page only hides.
 */
import type { ApiClient } from './api-client.ts';
import { createAccounts } from './operator-accounts.ts';
import { createAuditLog } from './operator-audit-log.ts';
import { createBlockedPrefixes } from './operator-blocked-prefixes.ts';
import { createCdrExport } from './operator-cdr-export.ts';
import { createDashboard } from './operator-dashboard.ts';
import { createDeskPhones } from './operator-desk-phones.ts';
import { createLiveCalls } from './operator-live-calls.ts';
import { createNumbers } from './operator-numbers.ts';
import { createRates } from './operator-rates.ts';
import { createTrunks } from './operator-trunks.ts';
import type { ConsoleSection, ConsoleSectionSpec } from './operator-section.ts';
import './operator.css';

/** In nav order; the first is the one the console opens on. */
const SECTIONS: readonly ConsoleSectionSpec[] = [
  { id: 'dashboard', label: 'Dashboard', create: createDashboard },
  { id: 'live-calls', label: 'Live calls', create: createLiveCalls },
  { id: 'audit-log', label: 'Audit log', create: createAuditLog },
  { id: 'accounts', label: 'Accounts', create: createAccounts },
  { id: 'cdr-export', label: 'CDR export', create: createCdrExport },
  { id: 'trunks', label: 'Trunks', create: createTrunks },
  { id: 'numbers', label: 'Numbers', create: createNumbers },
  { id: 'rates', label: 'Rates', create: createRates },
  { id: 'desk-phones', label: 'Desk phones', create: createDeskPhones },
  { id: 'blocked-prefixes', label: 'Blocked prefixes', create: createBlockedPrefixes },
];

export interface OperatorConsole {
  /** Reads the section on screen again. */
  refresh(): Promise<void>;
  /** Forgets everything drawn in every section (at sign-out). */
  clear(): void;
}

export function createOperatorConsole(api: ApiClient, container: HTMLElement): OperatorConsole {
  const nav = document.createElement('nav');
  nav.className = 'operator-nav';
  nav.setAttribute('aria-label', 'Operator console');
  const list = document.createElement('ul');
  nav.append(list);
  const drawn = new Map<string, ConsoleSection>();
  const panels = new Map<string, HTMLElement>();
  let current = SECTIONS[0]!;

  const show = async (spec: ConsoleSectionSpec, moveFocus: boolean) => {
    current = spec;
    for (const button of list.querySelectorAll('button')) {
      if (button.dataset.section === spec.id) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
    for (const [id, panel] of panels) panel.hidden = id !== spec.id;
    const panel = panels.get(spec.id)!;
    if (moveFocus) panel.querySelector<HTMLElement>('h3')?.focus();
    let section = drawn.get(spec.id);
    if (section === undefined) {
      const body = document.createElement('div');
      panel.append(body);
      section = spec.create(api, body);
      drawn.set(spec.id, section);
    }
    await section.refresh();
  };

  for (const spec of SECTIONS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.section = spec.id;
    button.textContent = spec.label;
    button.addEventListener('click', () => void show(spec, true));
    const item = document.createElement('li');
    item.append(button);
    list.append(item);
    const panel = document.createElement('section');
    panel.id = `operator-section-${spec.id}`;
    panel.className = 'operator-section';
    const heading = document.createElement('h3');
    heading.tabIndex = -1;
    heading.textContent = spec.label;
    panel.append(heading);
    panel.setAttribute('aria-label', spec.label);
    panels.set(spec.id, panel);
  }
  container.replaceChildren(nav, ...panels.values());

  return {
    refresh: () => show(current, false),
    clear() {
      for (const section of drawn.values()) section.clear();
    },
  };
}

/**
 * The "Spend and usage" panel: closed, it costs nothing; opening it loads the charts' code (its own chunk, by a
 * dynamic import) and draws GET /calls/usage for the history's current filters.
 */
import type { ApiClient } from './api-client.ts';
import { messageOf } from './format.ts';
import type { Usage } from './usage-charts.ts';

export interface UsagePanelElements {
  readonly panel: HTMLDetailsElement;
  readonly charts: HTMLElement;
  readonly message: HTMLElement;
}

export interface UsagePanel {
  /** Redraws if the panel is open (after a call, or new filters). */
  refresh(): Promise<void>;
}

export function createUsagePanel(api: ApiClient, elements: UsagePanelElements, query: () => string): UsagePanel {
  const draw = async () => {
    elements.message.textContent = 'Loading…';
    try {
      const [{ renderUsage }, usage] = await Promise.all([import('./usage-charts.ts'), api.get<Usage>(`/calls/usage?${query()}`)]);
      renderUsage(elements.charts, usage);
      elements.message.textContent = usage.total.calls === 0 ? 'No calls in this period.' : '';
    } catch (error) {
      elements.message.textContent = `Usage unavailable: ${messageOf(error)}`;
    }
  };
  elements.panel.addEventListener('toggle', () => {
    if (elements.panel.open) void draw();
  });
  return {
    async refresh() {
      if (elements.panel.open) await draw();
    },
  };
}

/** One area of the operator console (dashboard, trunks, accounts…): drawn into its own container when first opened. */
import type { ApiClient } from './api-client.ts';

export interface ConsoleSection {
  /** Reads its data again and redraws; called each time the section comes on screen. */
  refresh(): Promise<void>;
  /** Forgets everything drawn (at sign-out: the next person on this browser is not shown it). */
  clear(): void;
}

export interface ConsoleSectionSpec {
  /** Stable: the nav button's `data-section` and the container's id suffix. */
  readonly id: string;
  /** The nav button's text and the section's heading. */
  readonly label: string;
  readonly create: (api: ApiClient, container: HTMLElement) => ConsoleSection;
}

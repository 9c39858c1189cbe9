/**
 * What this process must have working to be given traffic, for `/readyz`: each role running here adds its check
 * (the database always; signaling its SIP probe). A check answers undefined when ready, or why it is not.
 */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

export interface ReadinessReport {
  readonly ready: boolean;
  /** Each check by name: `ok`, or why it is not ready. */
  readonly checks: Readonly<Record<string, string>>;
}

/**
 * @example
 * const readiness = new Readiness();
 * readiness.add('signaling', () => signaling.notReadyBecause());
 * const { ready, checks } = await readiness.report();
 */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  async report(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    for (const [name, check] of this.#checks) {
      try {
        checks[name] = (await check()) ?? 'ok';
      } catch (error) {
        checks[name] = (error as Error).message;
      }
    }
    return { ready: Object.values(checks).every((state) => state === 'ok'), checks };
  }
}

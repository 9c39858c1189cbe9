/** Waits for `work` at most `ms`; afterwards moves on (the work itself may still finish or fail, unobserved). */
export function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    expired,
  ]).finally(() => clearTimeout(timer));
}

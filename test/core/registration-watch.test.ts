import { describe, expect, it } from 'vitest';
import { RegistrationWatches } from '../../core/registration-watch.ts';

/** Whether `promise` has settled by the time the microtasks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('registration watches (core/registration-watch.ts)', () => {
  it("wakes a watch of the account at its next accepted REGISTER, and no other account's", async () => {
    const watches = new RegistrationWatches();
    const mine = watches.watch('a');
    const theirs = watches.watch('b');
    const next = mine.next();
    const other = theirs.next();
    watches.registered('a');
    expect(await settled(next)).toBe(true);
    expect(await settled(other)).toBe(false);
  });

  it('keeps a REGISTER that came before anyone waited (while the push was being sent)', async () => {
    const watches = new RegistrationWatches();
    const watch = watches.watch('a');
    watches.registered('a');
    expect(await settled(watch.next())).toBe(true);
    // Counted once: the next wait waits for the next REGISTER.
    expect(await settled(watch.next())).toBe(false);
  });

  it('forgets an account once its last watch is closed, and a closed watch is woken no more', async () => {
    const watches = new RegistrationWatches();
    const first = watches.watch('a');
    const second = watches.watch('a');
    const pending = first.next();
    first.close();
    expect(watches.size).toBe(1);
    watches.registered('a');
    expect(await settled(pending)).toBe(false);
    expect(await settled(second.next())).toBe(true);
    second.close();
    expect(watches.size).toBe(0);
  });
});

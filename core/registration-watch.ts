/**
 * Who is waiting for an account's devices to register: a call held ringing while a pushed browser wakes
 * (core/calls/push-ring.ts). The registrar says when it accepted a REGISTER; the waiting call is woken at once, with
 * no polling of the location store. In memory, per process: a REGISTER taken by another signaling node wakes no call
 * held here (that call ends at its deadline).
 */

export interface RegistrationWatch {
  /** Resolves at the first REGISTER of the account accepted since the watch began or since the last `next` resolved. */
  next(): Promise<void>;
  /** Stops watching; what `next` returned stays pending, so race it against the call's own end. */
  close(): void;
}

interface Watcher {
  pending: boolean;
  wake: (() => void) | undefined;
}

export class RegistrationWatches {
  readonly #byAccount = new Map<string, Set<Watcher>>();

  /** Watches from now on, so that a device registering while the push is still being sent is not missed. */
  watch(accountId: string): RegistrationWatch {
    const watcher: Watcher = { pending: false, wake: undefined };
    const watchers = this.#byAccount.get(accountId) ?? new Set<Watcher>();
    watchers.add(watcher);
    this.#byAccount.set(accountId, watchers);
    return {
      next: () => {
        if (watcher.pending) {
          watcher.pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          watcher.wake = () => {
            watcher.wake = undefined;
            resolve();
          };
        });
      },
      close: () => {
        watcher.wake = undefined;
        watchers.delete(watcher);
        if (watchers.size === 0 && this.#byAccount.get(accountId) === watchers) this.#byAccount.delete(accountId);
      },
    };
  }

  /** The registrar accepted a REGISTER of the account that leaves it a live binding. */
  registered(accountId: string): void {
    for (const watcher of this.#byAccount.get(accountId) ?? []) {
      if (watcher.wake === undefined) watcher.pending = true;
      else watcher.wake();
    }
  }

  /** Accounts with a call waiting on them (what a leak would grow). */
  get size(): number {
    return this.#byAccount.size;
  }
}

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { bridgeDialogs } from '../../../signaling/call/bridge.ts';
import type { Dialog } from '../../../signaling/call/dial.ts';

/**
 * A leg as drachtio-srf hands it over: an emitter with `connected` (false once a BYE was handled) and destroy(),
 * which like srf's answers an error through its callback, or without one as a rejected promise.
 */
function leg(options: { connected?: boolean; destroyFails?: boolean } = {}) {
  const dialog = Object.assign(new EventEmitter(), {
    connected: options.connected ?? true,
    destroyed: 0,
    destroy(_opts?: unknown, done?: (error?: Error) => void) {
      dialog.destroyed += 1;
      const error = options.destroyFails ? new Error('unable to find dialog for dialog id provided') : undefined;
      if (done) return done(error);
      return error ? Promise.reject(error) : Promise.resolve();
    },
  });
  return dialog;
}

const bridge = (caller: ReturnType<typeof leg>, callee: ReturnType<typeof leg>, maxSeconds?: number) =>
  bridgeDialogs(caller as unknown as Dialog, callee as unknown as Dialog, maxSeconds === undefined ? {} : { maxSeconds });

describe('bridge', () => {
  it('ends when one leg hangs up, hanging up the other', async () => {
    const [caller, callee] = [leg(), leg()];
    const call = bridge(caller, callee);
    callee.emit('destroy');
    expect(await call.ended).toMatchObject({ by: 'callee', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([1, 0]);
  });

  it('ends at once when a leg was already hung up before the bridge was made (BYE right after the answer)', async () => {
    const [caller, callee] = [leg({ connected: false }), leg()];
    const call = bridge(caller, callee, 3600);
    expect(await call.ended).toMatchObject({ by: 'caller', cause: 'normal' });
    expect([caller.destroyed, callee.destroyed]).toEqual([0, 1]);
  });

  it('takes a leg that is already gone when we hang it up (BYEs crossing) as ended, not as an error', async () => {
    const [caller, callee] = [leg(), leg({ destroyFails: true })];
    const call = bridge(caller, callee);
    caller.emit('destroy');
    expect(await call.ended).toMatchObject({ by: 'caller' });
    expect(callee.destroyed).toBe(1);
  });
});

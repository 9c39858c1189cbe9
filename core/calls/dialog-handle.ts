/**
 * A SIP dialog as core knows it: an opaque handle the SIP adapter made (signaling/srf.ts) and alone can read.
 * Core stores it on the call's record (`caller_dialog`, `callee_dialog`) and hands it back to hang the leg up after
 * a restart; it never parses it or assumes anything about its format.
 */

declare const brand: unique symbol;

/** A leg's SIP dialog, as the SIP adapter named it. Only the adapter makes one (`asDialogHandle`) and reads one. */
export type DialogHandle = string & { readonly [brand]: 'DialogHandle' };

/** For the adapter that owns dialogs, and for a handle read back from the call's record: no check, by design. */
export function asDialogHandle(value: string): DialogHandle {
  return value as DialogHandle;
}

/**
 * The port the SIP adapter implements: sends BYE on a leg the SIP server may still hold, by its handle. Resolves
 * once the leg is hung up (with whatever the adapter reports), rejects when it could not be.
 */
export type HangUpLeg = (leg: DialogHandle) => Promise<unknown>;

/**
 * The location service behind the registrar (RFC 3261 §10.3): bindings of each address-of-record, the SIP username
 * (a desk phone's, or one browser credential's), to its contacts, each with its own expiry. An account's calls
 * ring every binding of all its usernames; a REGISTER sees, lists and removes only its own username's. Rows whose
 * expiry has passed are ignored by every read and deleted by the sweep job.
 */
import type { Kysely } from 'kysely';
import type { Database, Registration, SipTransport } from '../db/schema.ts';

export interface ContactBinding {
  readonly contact: string;
  /** 0 removes the binding. */
  readonly expiresSeconds: number;
  /** The device's `+sip.instance` (RFC 5626 §4.1): its other contacts are dead flows of the same device. */
  readonly instance?: string;
}

export interface RegisterUpdate {
  readonly accountId: string;
  readonly username: string;
  readonly callId: string;
  readonly cseq: number;
  readonly transport: SipTransport;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly drachtioServer: string;
  readonly userAgent: string | null;
  /** The contacts to add, refresh or remove; `remove-all` is `Contact: *` with `Expires: 0` (§10.2.2). */
  readonly bindings: readonly ContactBinding[] | 'remove-all';
  /**
   * A REGISTER that grows the username's live bindings past `maxBindings`, or its 200's Contact list past
   * `maxContactListBytes` (what one UDP datagram can carry), changes nothing.
   */
  readonly limits: { readonly maxBindings: number; readonly maxContactListBytes?: number };
}

export type RegisterOutcome =
  | { readonly kind: 'updated'; readonly bindings: readonly Pick<Registration, 'contact' | 'expires_at'>[] }
  /** A REGISTER older than one already applied on the same Call-ID (§10.3 step 7): nothing changed. */
  | { readonly kind: 'out-of-order' }
  /** It would have grown the bindings past the limits: nothing changed. */
  | { readonly kind: 'too-many-bindings' };

class OverLimit extends Error {}

/** The 200's Contact header (§10.3 step 8): every live binding with its remaining seconds. */
export function contactList(bindings: readonly Pick<Registration, 'contact' | 'expires_at'>[], now: Date): string {
  return bindings.map((binding) => `<${binding.contact}>;expires=${Math.max(0, Math.round((binding.expires_at.getTime() - now.getTime()) / 1000))}`).join(', ');
}

/**
 * Applies one REGISTER in a transaction and returns the username's live bindings afterwards.
 * @example
 * const outcome = await applyRegister(db, { accountId, username, callId, cseq: 2, transport: 'ws', ...,
 *   bindings: [{ contact: '<sip:abc@df7jal23ls0d.invalid;transport=ws>', expiresSeconds: 600 }] }, new Date());
 */
export async function applyRegister(db: Kysely<Database>, update: RegisterUpdate, now: Date): Promise<RegisterOutcome> {
  try {
    return await db.transaction().execute((trx) => applyWithin(trx, update, now));
  } catch (error) {
    if (error instanceof OverLimit) return { kind: 'too-many-bindings' };
    throw error;
  }
}

async function applyWithin(trx: Kysely<Database>, update: RegisterUpdate, now: Date): Promise<RegisterOutcome> {
  const ofThisAor = () => trx.deleteFrom('registrations').where('account_id', '=', update.accountId).where('username', '=', update.username);
  const existing = await trx
    .selectFrom('registrations')
    .select(['id', 'contact', 'call_id', 'cseq', 'expires_at'])
    .where('account_id', '=', update.accountId)
    .where('username', '=', update.username)
    .forUpdate()
    .execute();
  const stale = existing.some((row) => row.call_id === update.callId && row.cseq >= update.cseq);
  if (stale) return { kind: 'out-of-order' as const };
  const liveBefore = existing.filter((row) => row.expires_at > now).length;

  if (update.bindings === 'remove-all') {
    await ofThisAor().execute();
  } else {
    for (const binding of update.bindings) {
      if (binding.expiresSeconds === 0) {
        await ofThisAor().where('contact', '=', binding.contact).execute();
        continue;
      }
      const row = {
        account_id: update.accountId,
        username: update.username,
        contact: binding.contact,
        expires_at: new Date(now.getTime() + binding.expiresSeconds * 1000),
        transport: update.transport,
        source_address: update.sourceAddress,
        source_port: update.sourcePort,
        drachtio_server: update.drachtioServer,
        user_agent: update.userAgent,
        instance_id: binding.instance ?? null,
        call_id: update.callId,
        cseq: update.cseq,
      };
      // The same device registering a new contact (a browser tab on a new WebSocket after a drop, or with renewed
      // credentials) replaces its old one: calls must not fork to a connection that is gone (RFC 5626 §6).
      if (binding.instance !== undefined) {
        await trx
          .deleteFrom('registrations')
          .where('account_id', '=', update.accountId)
          .where('instance_id', '=', binding.instance)
          .where('contact', '!=', binding.contact)
          .execute();
      }
      await trx
        .insertInto('registrations')
        .values(row)
        .onConflict((conflict) => conflict.columns(['account_id', 'contact']).doUpdateSet({ ...row, updated_at: now }))
        .execute();
    }
  }
  const bindings = await liveBindings(trx, update.accountId, update.username, now);
  // Only a REGISTER that adds is refused: a phone refreshing what it has keeps working after the limit is lowered.
  const { maxBindings, maxContactListBytes } = update.limits;
  const tooLong = maxContactListBytes !== undefined && Buffer.byteLength(contactList(bindings, now)) > maxContactListBytes;
  if (bindings.length > liveBefore && (bindings.length > maxBindings || tooLong)) throw new OverLimit();
  return { kind: 'updated' as const, bindings };
}

/** The username's bindings that have not expired, soonest expiry last. */
export async function liveBindings(
  db: Kysely<Database>,
  accountId: string,
  username: string,
  now: Date,
): Promise<Pick<Registration, 'contact' | 'expires_at'>[]> {
  return db
    .selectFrom('registrations')
    .select(['contact', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('username', '=', username)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .execute();
}

/** Deletes expired bindings; returns how many. */
export async function sweepExpiredRegistrations(db: Kysely<Database>, now: Date): Promise<number> {
  const result = await db.deleteFrom('registrations').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The account's live bindings with what it takes to reach each device again (for ringing). */
export async function liveRegistrations(
  db: Kysely<Database>,
  accountId: string,
  now: Date,
): Promise<Pick<Registration, 'contact' | 'transport' | 'source_address' | 'source_port' | 'drachtio_server'>[]> {
  return db
    .selectFrom('registrations')
    .select(['contact', 'transport', 'source_address', 'source_port', 'drachtio_server'])
    .where('account_id', '=', accountId)
    .where('expires_at', '>', now)
    .orderBy('updated_at', 'desc')
    .execute();
}

/** Whether a live registration was made from this address and port: the device is ours, so it gets a challenge. */
export async function isRegisteredSource(db: Kysely<Database>, address: string, port: number, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('registrations')
    .select('id')
    .where('source_address', '=', address)
    .where('source_port', '=', port)
    .where('expires_at', '>', now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

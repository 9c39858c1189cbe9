/**
 * The common REGISTER, a device renewing the one contact it already has, applied in batches. Under load every
 * REGISTER's own commit (a disk flush each) is what limits the registrar, so refreshes that arrive while earlier
 * ones are being written wait and then go together: one statement and one commit for the lot. At low load a batch
 * is one refresh, sent at once. A refresh adds no binding (so no limit to check) and removes no other device's
 * contact; anything else, and any refresh the batch could not apply, is left to `applyRegister`'s transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Registration } from '../db/schema.ts';
import type { RegisterUpdate } from './registrations.ts';

type Bindings = Pick<Registration, 'contact' | 'expires_at'>[];

interface Pending {
  readonly update: RegisterUpdate;
  readonly contact: string;
  readonly instance: string | null;
  readonly expiresAt: Date;
  readonly now: Date;
  resolve(bindings: Bindings | undefined): void;
  reject(error: unknown): void;
}

export interface BindingRefreshOptions {
  /** Batches being written at once; each holds a pool connection while it runs. */
  readonly concurrency: number;
  readonly maxBatch: number;
}

/**
 * @example
 * const refreshes = new BindingRefreshes(db, { concurrency: 2, maxBatch: 500 });
 * const bindings = await refreshes.refresh(update, new Date()); // undefined: not a plain refresh; use applyRegister
 */
export class BindingRefreshes {
  #queue: Pending[] = [];
  #writing = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: BindingRefreshOptions,
  ) {}

  /** The live bindings after renewing the update's one contact, or undefined when this was not a plain refresh. */
  refresh(update: RegisterUpdate, now: Date): Promise<Bindings | undefined> {
    if (update.bindings === 'remove-all' || update.bindings.length !== 1) return Promise.resolve(undefined);
    const binding = update.bindings[0]!;
    if (binding.expiresSeconds === 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        update,
        contact: binding.contact,
        instance: binding.instance ?? null,
        expiresAt: new Date(now.getTime() + binding.expiresSeconds * 1000),
        now,
        resolve,
        reject,
      });
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#writing < this.options.concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.options.maxBatch);
      this.#writing++;
      void this.#write(batch).finally(() => {
        this.#writing--;
        this.#drain();
      });
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    try {
      const found = await refreshAll(this.db, batch);
      batch.forEach((pending, i) => pending.resolve(found.get(i)));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}

/**
 * Renews each refresh's row where RFC 3261 §10.3 step 7 allows it (no binding of the address-of-record holds this
 * Call-ID with a CSeq as high) and the device's instance is unchanged, and reads each one's live bindings: by the
 * batch index, for those it renewed. Two refreshes of the same row in one batch renew it once; the other is left
 * to the full transaction.
 */
async function refreshAll(db: Kysely<Database>, batch: readonly Pending[]): Promise<Map<number, Bindings>> {
  const column = <T>(pick: (pending: Pending) => T): T[] => batch.map(pick);
  const { rows } = await sql<{ ord: number; contact: string; expires_at: Date }>`
    with input as (
      select * from unnest(
        ${column((p) => p.update.accountId)}::uuid[], ${column((p) => p.update.username)}::text[],
        ${column((p) => p.contact)}::text[], ${column((p) => p.instance)}::text[],
        ${column((p) => p.expiresAt.toISOString())}::timestamptz[], ${column((p) => p.now.toISOString())}::timestamptz[],
        ${column((p) => p.update.transport)}::text[], ${column((p) => p.update.sourceAddress)}::text[],
        ${column((p) => p.update.sourcePort)}::int[], ${column((p) => p.update.drachtioServer)}::text[],
        ${column((p) => p.update.userAgent)}::text[], ${column((p) => p.update.callId)}::text[],
        ${column((p) => p.update.cseq)}::bigint[]
      ) with ordinality as i(account_id, username, contact, instance_id, expires_at, now, transport, source_address,
        source_port, drachtio_server, user_agent, call_id, cseq, ord)),
    refreshed as (
      update registrations r set expires_at = i.expires_at, transport = i.transport, source_address = i.source_address,
        source_port = i.source_port, drachtio_server = i.drachtio_server, user_agent = i.user_agent,
        call_id = i.call_id, cseq = i.cseq, updated_at = i.now
      from input i
      where r.account_id = i.account_id and r.username = i.username and r.contact = i.contact
        and r.instance_id is not distinct from i.instance_id
        and not exists (
          select 1 from registrations same_call
          where same_call.account_id = i.account_id and same_call.username = i.username
            and same_call.call_id = i.call_id and same_call.cseq >= i.cseq)
      returning i.ord, r.contact, r.expires_at)
    select ord, contact, expires_at from refreshed
    union all
    select i.ord, r.contact, r.expires_at
    from input i join registrations r on r.account_id = i.account_id and r.username = i.username
    where r.contact <> i.contact and r.expires_at > i.now and exists (select 1 from refreshed f where f.ord = i.ord)`.execute(db);
  const found = new Map<number, Bindings>();
  for (const row of rows) {
    const index = Number(row.ord) - 1;
    const bindings = found.get(index) ?? [];
    bindings.push({ contact: row.contact, expires_at: row.expires_at });
    found.set(index, bindings);
  }
  // The 200 lists the soonest expiry last, as liveBindings does.
  for (const bindings of found.values()) bindings.sort((a, b) => b.expires_at.getTime() - a.expires_at.getTime());
  return found;
}

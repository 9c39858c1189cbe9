/**
 * Web Push subscriptions (RFC 8030, keys per RFC 8291): one per browser whose user asked to be woken for calls. A
 * subscription is stored only when the signed-in user's browser sends it (the consent is the user's: the browser asks
 * for notification permission first), listed and removed by its owner, exported and erased with the account
 * (core/privacy/sources/push-subscriptions.ts). Everything in a row that names the device is sealed under the
 * account's key; the endpoint deterministically, so the same browser subscribing again updates its row.
 */
import { createPublicKey } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Vault } from '../privacy/vault.ts';
import { DEFAULT_PUSH_SERVICE_HOSTS, pushEndpointProblem } from './push-services.ts';

/** Devices one account may have subscribed at once: each incoming call pushes to all of them. */
export const MAX_SUBSCRIPTIONS = 20;
export const MAX_ENDPOINT_LENGTH = 1024;
export const MAX_LABEL_LENGTH = 100;

/** What the browser's `PushSubscription.toJSON()` gives, with the user's name for the device. */
export interface PushSubscriptionInput {
  readonly endpoint: string;
  /** The browser's P-256 public key, base64url of the 65-byte uncompressed point. */
  readonly p256dh: string;
  /** The browser's 16-byte auth secret, base64url. */
  readonly auth: string;
  readonly label: string | null;
}

export interface ValidationOptions {
  /**
   * The push services' hosts an endpoint may be on (core/push/push-services.ts; PUSH_SERVICE_HOSTS): the server POSTs
   * wherever an endpoint points. Default: the known browsers' services.
   */
  readonly allowedHosts?: readonly string[];
}

export class PushSubscriptionError extends Error {
  override name = 'PushSubscriptionError';
  constructor(
    readonly reason: 'invalid' | 'too_many',
    message: string,
    /** For `invalid`: which field, and what is wrong with it. */
    readonly errors: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(message);
  }
}

/** Base64url without padding, decoding to exactly `bytes` bytes. */
function base64url(value: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64url');
  return decoded.length === bytes && decoded.toString('base64url') === value ? decoded : undefined;
}

function isP256Point(point: Buffer): boolean {
  if (point[0] !== 0x04) return false;
  try {
    const coordinate = (from: number) => point.subarray(from, from + 32).toString('base64url');
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

function endpointProblem(endpoint: string, options: ValidationOptions): string | undefined {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `at most ${MAX_ENDPOINT_LENGTH} characters`;
  return pushEndpointProblem(endpoint, options.allowedHosts ?? DEFAULT_PUSH_SERVICE_HOSTS);
}

/** Throws a {@link PushSubscriptionError} (`invalid`) naming each bad field. */
export function validateSubscription(input: PushSubscriptionInput, options: ValidationOptions = {}): void {
  const errors: { path: string; message: string }[] = [];
  const endpoint = endpointProblem(input.endpoint, options);
  if (endpoint !== undefined) errors.push({ path: '/endpoint', message: endpoint });
  const point = base64url(input.p256dh, 65);
  if (point === undefined || !isP256Point(point)) errors.push({ path: '/keys/p256dh', message: 'base64url of a 65-byte uncompressed P-256 point' });
  if (base64url(input.auth, 16) === undefined) errors.push({ path: '/keys/auth', message: 'base64url of 16 bytes' });
  if (input.label !== null && (input.label.trim() === '' || input.label.length > MAX_LABEL_LENGTH)) {
    errors.push({ path: '/label', message: `from 1 to ${MAX_LABEL_LENGTH} characters` });
  }
  if (errors.length > 0) throw new PushSubscriptionError('invalid', 'not a usable push subscription', errors);
}

export interface SubscriptionView {
  readonly id: string;
  readonly label: string | null;
  /** The push service's origin (https://fcm.googleapis.com): which browser's service, without the device's own path. */
  readonly pushService: string;
  readonly createdAt: Date;
  readonly lastSuccessAt: Date | null;
}

/**
 * Stores (or, for an endpoint the account already has, refreshes) a subscription; returns its id.
 * @example
 * const id = await saveSubscription(db, vault, caller.accountId, { endpoint, p256dh, auth, label: 'Firefox on my laptop' });
 */
export async function saveSubscription(
  db: Kysely<Database>,
  vault: Vault,
  accountId: string,
  input: PushSubscriptionInput,
  options: ValidationOptions = {},
): Promise<string> {
  validateSubscription(input, options);
  return db.transaction().execute(async (trx) => {
    const endpoint = await vault.seal(trx, accountId, input.endpoint, { deterministic: true });
    const [p256dh, auth, label] = await vault.sealAll(trx, accountId, [input.p256dh, input.auth, input.label]);
    const existing = await trx
      .selectFrom('push_subscriptions')
      .select('id')
      .where('account_id', '=', accountId)
      .where('endpoint', '=', endpoint)
      .executeTakeFirst();
    if (existing !== undefined) {
      await trx.updateTable('push_subscriptions').set({ p256dh: p256dh!, auth: auth!, label }).where('id', '=', existing.id).execute();
      return existing.id;
    }
    // Counted under the account's row lock, so two subscriptions at once cannot both be the last one allowed.
    await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
    const { count } = await trx
      .selectFrom('push_subscriptions')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= MAX_SUBSCRIPTIONS) {
      throw new PushSubscriptionError('too_many', `at most ${MAX_SUBSCRIPTIONS} devices may be woken for calls: remove one first`);
    }
    const row = await trx
      .insertInto('push_subscriptions')
      .values({ account_id: accountId, endpoint, p256dh: p256dh!, auth: auth!, label })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** The account's subscriptions, oldest first, as their owner sees them. */
export async function listSubscriptions(db: Kysely<Database>, vault: Vault, accountId: string): Promise<SubscriptionView[]> {
  const rows = await db
    .selectFrom('push_subscriptions')
    .select(['id', 'endpoint', 'label', 'created_at', 'last_success_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const opened = await vault.openAll(
    db,
    rows.flatMap((row) => [row.endpoint, row.label]),
  );
  // A row whose account key is destroyed opens to nothing: it names no device any more, and is left out.
  return rows.flatMap((row, i) => {
    const endpoint = opened[i * 2];
    if (endpoint === null || endpoint === undefined) return [];
    return [
      { id: row.id, label: opened[i * 2 + 1] ?? null, pushService: new URL(endpoint).origin, createdAt: row.created_at, lastSuccessAt: row.last_success_at },
    ];
  });
}

/** Removes one of the account's subscriptions; false when the account has none with that id. */
export async function removeSubscription(db: Kysely<Database>, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('push_subscriptions').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A subscription opened for sending: where to push and the keys to encrypt to. */
export interface PushTarget {
  readonly id: string;
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

/** The account's subscriptions opened for sending; none once its key is destroyed. */
export async function pushTargets(db: Kysely<Database>, vault: Vault, accountId: string): Promise<PushTarget[]> {
  const rows = await db
    .selectFrom('push_subscriptions')
    .select(['id', 'endpoint', 'p256dh', 'auth'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  const opened = await vault.openAll(
    db,
    rows.flatMap((row) => [row.endpoint, row.p256dh, row.auth]),
  );
  return rows.flatMap((row, i) => {
    const [endpoint, p256dh, auth] = opened.slice(i * 3, i * 3 + 3);
    return endpoint && p256dh && auth ? [{ id: row.id, endpoint, p256dh, auth }] : [];
  });
}

/** A push service accepted a push for the subscription. */
export async function markDelivered(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('push_subscriptions')
    .set({ last_success_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

/** The push service says the subscription is gone (404/410, RFC 8030 §7.3): it is deleted. */
export async function forgetSubscription(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('push_subscriptions').where('id', '=', id).execute();
}

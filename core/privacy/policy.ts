/**
 * Privacy policy versions. The newest is the one in force; a material version mails a notice to every
 * active user and asks those who signed up before it for an acknowledgement, which is recorded.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, PolicyVersionsTable } from '../../db/schema.ts';
import type { Selectable } from 'kysely';
import { recordAudit } from '../audit.ts';

export type PolicyVersion = Selectable<PolicyVersionsTable>;

export class PolicyError extends Error {
  constructor(
    readonly code: 'version_exists' | 'unknown_version',
    message: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

export async function currentPolicy(db: Kysely<Database>): Promise<PolicyVersion> {
  return db.selectFrom('policy_versions').selectAll().orderBy('published_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
}

/** The newest material version published after the account was created and not yet acknowledged, if any. */
export async function pendingAcknowledgement(db: Kysely<Database>, accountId: string): Promise<PolicyVersion | undefined> {
  return db
    .selectFrom('policy_versions')
    .selectAll()
    .where('material', '=', true)
    .where('published_at', '>', db.selectFrom('accounts').select('created_at').where('id', '=', accountId))
    .where('id', 'not in', db.selectFrom('policy_acknowledgements').select('policy_version_id').where('account_id', '=', accountId))
    .orderBy('published_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Publishes a version; a material one queues a notice to every active account, in the same transaction.
 * @example
 * const { notified } = await publishPolicy(db, operatorId, { version: '2026-12', text, material: true }, 'https://dialo.example.org');
 */
export async function publishPolicy(
  db: Kysely<Database>,
  operatorId: string | null,
  policy: { version: string; text: string; material: boolean },
  publicUrl: string,
): Promise<{ version: string; notified: number }> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('policy_versions')
      .values({ version: policy.version, body_text: policy.text, material: policy.material, published_by: operatorId })
      .onConflict((conflict) => conflict.column('version').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted === undefined) throw new PolicyError('version_exists', `version ${policy.version} is already published`);
    let notified = 0;
    if (policy.material) {
      const subject = 'We updated the Dialo privacy policy';
      const text = `We made material changes to our privacy policy (version ${policy.version}).\nRead it and acknowledge it in the app: ${publicUrl}/privacy\n`;
      const result = await trx
        .insertInto('email_outbox')
        .columns(['account_id', 'kind', 'to_address', 'subject', 'body_text'])
        .expression(
          trx
            .selectFrom('accounts')
            .select(['id', sql.lit('policy_notice').as('kind'), 'email', sql.val(subject).as('subject'), sql.val(text).as('body_text')])
            .where('status', '=', 'active')
            .where('email', 'is not', null),
        )
        .executeTakeFirst();
      notified = Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    await recordAudit(trx, {
      action: 'admin.policy_published',
      actorAccountId: operatorId,
      detail: { version: policy.version, material: policy.material, notified },
    });
    return { version: policy.version, notified };
  });
}

/**
 * @example
 * await acknowledgePolicy(db, accountId, '2026-12');
 */
export async function acknowledgePolicy(db: Kysely<Database>, accountId: string, version: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('policy_versions').select('id').where('version', '=', version).executeTakeFirst();
    if (row === undefined) throw new PolicyError('unknown_version', `there is no policy version ${version}`);
    await trx
      .insertInto('policy_acknowledgements')
      .values({ account_id: accountId, policy_version_id: row.id })
      .onConflict((conflict) => conflict.columns(['account_id', 'policy_version_id']).doNothing())
      .execute();
    await recordAudit(trx, { action: 'privacy.policy_acknowledged', actorAccountId: accountId, subjectAccountId: accountId, detail: { version } });
  });
}

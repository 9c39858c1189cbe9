/** Policy acknowledgements (kept on erasure: proof of consent, tied only to the emptied account id). */
import type { AccountDataSource } from '../data-source.ts';

export const policyAcknowledgementsSource: AccountDataSource = {
  table: 'policy_acknowledgements',
  holds: 'which privacy policy versions you acknowledged, and when',
  export: (db, accountId) =>
    db
      .selectFrom('policy_acknowledgements')
      .innerJoin('policy_versions', 'policy_versions.id', 'policy_acknowledgements.policy_version_id')
      .select(['policy_versions.version', 'policy_acknowledgements.acknowledged_at'])
      .where('policy_acknowledgements.account_id', '=', accountId)
      .execute(),
  erase: async () => 0,
};

export const policyVersionsSource: AccountDataSource = {
  table: 'policy_versions',
  holds: 'policy versions you published (operators only)',
  export: (db, accountId) => db.selectFrom('policy_versions').select(['version', 'material', 'published_at']).where('published_by', '=', accountId).execute(),
  erase: async () => 0,
};

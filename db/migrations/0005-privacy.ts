import { sql, type Kysely } from 'kysely';

// Privacy rights: profile name and pending erasure on accounts, policy versions and their
// acknowledgements, legal holds. The first policy version is the text Dialo shipped with.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('display_name', 'text').addColumn('erasure_requested_at', 'timestamptz').execute();

  await db.schema
    .createTable('policy_versions')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('version', 'text', (col) => col.notNull().unique())
    .addColumn('body_text', 'text', (col) => col.notNull())
    .addColumn('material', 'boolean', (col) => col.notNull())
    .addColumn('published_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('published_by', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .execute();

  await db.schema
    .createTable('policy_acknowledgements')
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('policy_version_id', 'bigint', (col) => col.notNull().references('policy_versions.id'))
    .addColumn('acknowledged_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('policy_acknowledgements_pkey', ['account_id', 'policy_version_id'])
    .execute();

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id'))
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('placed_by', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('placed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('lifted_by', 'uuid', (col) => col.references('accounts.id').onDelete('set null'))
    .addColumn('lifted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('legal_holds_account_idx').on('legal_holds').column('account_id').execute();

  await db
    .insertInto('policy_versions' as never)
    .values({ version: '2025-10', body_text: SEED_POLICY, material: false, published_at: '2025-10-01T00:00:00Z' } as never)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('legal_holds').execute();
  await db.schema.dropTable('policy_acknowledgements').execute();
  await db.schema.dropTable('policy_versions').execute();
  await db.schema.alterTable('accounts').dropColumn('erasure_requested_at').dropColumn('display_name').execute();
}

const SEED_POLICY = `Privacy Policy
Effective date: October 2025
We respect your privacy and are committed to protecting your information. This policy explains what we collect, how we use it, and the choices you have.
1. Information We Collect
We collect information you provide or that's generated when you use Dialo:
- Account details (e.g., email, password).
- Calling data (e.g., phone numbers dialed/received, duration, timestamps).
- Payment & billing info (processed by our payment partners).
- Usage data (how you interact with our website/app and features).
2. How We Use Your Information
We use your information to:
- Deliver and operate our browser-based calling services.
- Process payments, manage credits, and maintain billing records.
- Monitor performance, improve call quality, and enhance reliability.
- Protect the service, detect abuse, and prevent fraud/security incidents.
3. When We Share Information
We don't sell your personal information. We may share limited data with:
- Telecom carriers/partners to connect and complete calls.
- Payment processors for secure billing and refunds.
- Authorities if required by law or valid legal process.
4. Call Data & Retention
We keep records of calls placed through Dialo (numbers, duration, timestamps). This data is stored securely (encrypted in transit and at rest where applicable) and retained only as long as needed for billing, troubleshooting, dispute resolution, and legal compliance. After that, we delete or de-identify it.
5. Your Rights
Depending on your location, you may be able to:
- Access your account data and call history.
- Correct inaccurate account information.
- Delete certain data (subject to legal/operational requirements).
- Export your data in a portable format.
To exercise these rights, contact us using the details below.
6. Contact Us
Questions or requests about this policy?
Email: hi@getdialo.com
7. Updates to This Policy
We may update this policy from time to time. If we make material changes, we'll post the updated version here and notify active users (for example, by email).`;

import { sql, type Kysely } from 'kysely';

// TLS trunks' per-trunk trust and SRTP (issue 19): carrier settings only, no one's data.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('trunks')
    /** PEM: the CA (or CAs) the carrier's TLS certificate must chain to; null: drachtio-server's CA file alone decides. */
    .addColumn('tls_ca_pem', 'text')
    /** The carrier certificate's SHA-256 fingerprint, `AB:CD:...` (32 upper-case hex pairs); null: not pinned. */
    .addColumn('tls_pin_sha256', 'text', (col) => col.check(sql`tls_pin_sha256 ~ '^[0-9A-F]{2}(:[0-9A-F]{2}){31}$'`))
    /** `sdes`: media to the carrier is SRTP keyed in the SDP (RFC 4568), never plain RTP. */
    .addColumn('media_encryption', 'text', (col) =>
      col
        .notNull()
        .defaultTo('none')
        .check(sql`media_encryption in ('none', 'sdes')`),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['media_encryption', 'tls_pin_sha256', 'tls_ca_pem']) {
    await db.schema.alterTable('trunks').dropColumn(column).execute();
  }
}

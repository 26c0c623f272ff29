import type { Kysely, Migration } from 'kysely';
import { isSealed, type CredentialCipher } from '../../credentials';

interface Row {
  id: string;
  credentials: string;
}

/**
 * Seals every linked account's credentials that are still plaintext JSON
 * (rows written before credentials were encrypted at rest) with the
 * primary key. Rows already sealed are left as they are. Built with the
 * store's cipher, which `Migration.up(db)` does not pass.
 */
export const encryptCredentials = (cipher: CredentialCipher): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    const table = db as unknown as Kysely<{ linked_accounts: Row }>;
    const rows = await table
      .selectFrom('linked_accounts')
      .select(['id', 'credentials'])
      .execute();
    for (const row of rows) {
      if (isSealed(row.credentials)) {
        continue;
      }
      const credentials = JSON.parse(row.credentials) as Record<string, string>;
      await table
        .updateTable('linked_accounts')
        .set({ credentials: cipher.seal(credentials, row.id) })
        .where('id', '=', row.id)
        .execute();
    }
  },
  // Going down would write secrets back in plaintext: refused on purpose.
  async down(): Promise<void> {
    throw new Error(
      'Migration 0003_encrypt_credentials is not reversible: it would write credentials in plaintext.',
    );
  },
});

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Migration } from 'kysely';
import { isSealed, type CredentialCipher } from '../../credentials';

/**
 * What migrations that touch secrets need and `Migration.up(db)` does not
 * pass: the store runs its migrator inside `migrationContext.run(…)`.
 */
export const migrationContext = new AsyncLocalStorage<{
  cipher: CredentialCipher;
}>();

interface Row {
  id: string;
  credentials: string;
}

/**
 * Seals every linked account's credentials that are still plaintext JSON
 * (rows written before credentials were encrypted at rest) with the
 * primary key. Rows already sealed are left as they are.
 */
export const encryptCredentials: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const context = migrationContext.getStore();
    if (!context) {
      throw new Error(
        'Migration 0003_encrypt_credentials needs the credential cipher; run it through Store.open.',
      );
    }
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
        .set({ credentials: context.cipher.seal(credentials, row.id) })
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
};

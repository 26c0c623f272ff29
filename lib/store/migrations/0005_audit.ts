import type { Kysely, Migration } from 'kysely';

/**
 * The audit trail (one row per gateway operation) and the instant an API
 * key's secret was last rotated.
 */
export const audit: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_records')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('occurred_at', 'text', (column) => column.notNull())
      .addColumn('tenant_id', 'text', (column) => column.notNull())
      .addColumn('api_key_id', 'text', (column) => column.notNull())
      .addColumn('surface', 'text', (column) => column.notNull())
      .addColumn('organization_id', 'text')
      .addColumn('request_id', 'text', (column) => column.notNull())
      .addColumn('operation_name', 'text')
      .addColumn('operation_type', 'text')
      .addColumn('operation_hash', 'text')
      .addColumn('categories', 'text', (column) => column.notNull())
      .addColumn('personal_fields', 'text', (column) => column.notNull())
      .addColumn('compensation_fields', 'text', (column) => column.notNull())
      .addColumn('outcome', 'text', (column) => column.notNull())
      .addColumn('error_codes', 'text', (column) => column.notNull())
      .addColumn('duration_ms', 'integer', (column) => column.notNull())
      .execute();
    // Admins list a tenant's records newest first; the purge deletes by age.
    await db.schema
      .createIndex('audit_records_tenant_time')
      .on('audit_records')
      .columns(['tenant_id', 'occurred_at', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_records_time')
      .on('audit_records')
      .column('occurred_at')
      .execute();
    await db.schema
      .alterTable('api_keys')
      .addColumn('rotated_at', 'text')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('api_keys').dropColumn('rotated_at').execute();
    await db.schema.dropTable('audit_records').ifExists().execute();
  },
};

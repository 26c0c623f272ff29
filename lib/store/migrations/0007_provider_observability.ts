import type { Kysely, Migration } from 'kysely';

/**
 * Provider request logs and integration issues. Log rows hold no URL, query,
 * body or header: only the path template and outcome of each call.
 */
export const providerObservability: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('provider_request_logs')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('started_at', 'text', (column) => column.notNull())
      .addColumn('tenant_id', 'text', (column) => column.notNull())
      .addColumn('organization_id', 'text', (column) => column.notNull())
      .addColumn('linked_account_id', 'text', (column) => column.notNull())
      .addColumn('provider', 'text', (column) => column.notNull())
      .addColumn('category', 'text', (column) => column.notNull())
      .addColumn('method', 'text', (column) => column.notNull())
      .addColumn('route', 'text', (column) => column.notNull())
      .addColumn('status', 'integer')
      .addColumn('status_class', 'text', (column) => column.notNull())
      .addColumn('error_code', 'text')
      .addColumn('duration_ms', 'integer', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull())
      .addColumn('request_id', 'text')
      .execute();
    await db.schema
      .createIndex('provider_request_logs_tenant_started')
      .on('provider_request_logs')
      .columns(['tenant_id', 'started_at'])
      .execute();
    await db.schema
      .createIndex('provider_request_logs_account_started')
      .on('provider_request_logs')
      .columns(['linked_account_id', 'started_at'])
      .execute();
    await db.schema
      .createIndex('provider_request_logs_request')
      .on('provider_request_logs')
      .column('request_id')
      .execute();
    await db.schema
      .createIndex('provider_request_logs_started')
      .on('provider_request_logs')
      .column('started_at')
      .execute();

    await db.schema
      .createTable('integration_issues')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('tenant_id', 'text', (column) => column.notNull())
      .addColumn('linked_account_id', 'text', (column) =>
        column.notNull().references('linked_accounts.id').onDelete('cascade'),
      )
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('message', 'text', (column) => column.notNull())
      .addColumn('opened_at', 'text', (column) => column.notNull())
      .addColumn('last_seen_at', 'text', (column) => column.notNull())
      .addColumn('resolved_at', 'text')
      .execute();
    await db.schema
      .createIndex('integration_issues_account')
      .on('integration_issues')
      .columns(['linked_account_id', 'opened_at'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('integration_issues').ifExists().execute();
    await db.schema.dropTable('provider_request_logs').ifExists().execute();
  },
};

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Compilable,
  type CompiledQuery,
  type SqliteDatabase,
  sql,
} from 'kysely';
import pg from 'pg';
import type { Category, Scope } from '../categories';
import {
  CredentialCipher,
  DEVELOPMENT_ENCRYPTION_KEYS,
  parseEncryptionKeys,
  type CredentialKey,
} from '../credentials';
import { isCategory } from '../categories';
import type { Logger } from '../logger';
import { migrations } from './migrations/index';
import type { Database } from './schema';

/**
 * A linked account's state, as subgraphs and admins see it: `DEGRADED`
 * while the provider keeps failing or rate-limiting it, `RELINK_NEEDED`
 * once it rejects the credentials (lib/integration-issues.ts).
 */
export type LinkedAccountStatus = 'ACTIVE' | 'DEGRADED' | 'RELINK_NEEDED';

/** One provider account of one organization, with its credentials. */
export interface LinkedAccount {
  id: string;
  tenantId: string;
  organizationId: string;
  category: Category;
  provider: string;
  /** Scheme, host and optional path prefix of the provider's API. */
  baseUrl: string;
  /** Provider-specific credential fields; never logged. */
  credentials: Record<string, string>;
  status: LinkedAccountStatus;
}

/** What a request authenticated as; forwarded to subgraphs signed. */
export interface Principal {
  tenantId: string;
  apiKeyId: string;
  scopes: Scope[];
  organizationId: string;
  linkedAccounts: Array<{ id: string; category: Category; provider: string }>;
}

export type AuthenticationResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      reason:
        | 'missing-api-key'
        | 'unknown-api-key'
        | 'missing-account-token'
        | 'unknown-account-token'
        | 'sandbox-off';
    };

export interface StoreOptions {
  /** PostgreSQL connection string; when absent, the embedded SQLite is used. */
  databaseUrl?: string | undefined;
  /** SQLite file, or `:memory:`. Default `.tributary/tributary.db`. */
  sqlitePath?: string | undefined;
  /** Whether sandbox tenants may authenticate. */
  sandboxEnabled: boolean;
  logger: Logger;
  /**
   * Keys sealing linked-account credentials (`config.encryptionKeys`): the
   * first encrypts, all decrypt. Default: the public development key, so
   * production callers always pass the configured ones.
   */
  encryptionKeys?: readonly CredentialKey[];
}

/** SHA-256 hex: API keys and account tokens are stored only this way. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function now(): string {
  return new Date().toISOString();
}

/** Prepared SQLite statements kept per process, oldest out beyond this. */
const STATEMENT_CACHE_MAX = 500;

/**
 * `database` for Kysely with its prepared statements kept by SQL text:
 * Kysely prepares every query it runs, and preparing cost more than running
 * the few indexed lookups a request makes. Safe because better-sqlite3 runs
 * a statement to completion before the next starts (nothing here streams).
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (!statement) {
        statement = database.prepare(text);
        if (statements.size >= STATEMENT_CACHE_MAX) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * Tenants, API keys, organizations and linked accounts. SQL through Kysely,
 * on an embedded SQLite file by default (opens in milliseconds, so
 * `npm start` needs nothing installed) or PostgreSQL when `DATABASE_URL` is
 * set. Migrations run on open.
 */
/**
 * A query built and compiled on first use, then run with each call's own
 * parameters, in the order the builder placed them. For the lookups every
 * request makes: building and compiling a Kysely query costs more than the
 * database's answer.
 */
function prepared<Row>(
  db: () => Kysely<Database>,
  build: () => Compilable<Row>,
): (...parameters: unknown[]) => Promise<Row[]> {
  let compiled: CompiledQuery<Row> | undefined;
  return async (...parameters) => {
    compiled ??= build().compile();
    if (compiled.parameters.length !== parameters.length) {
      throw new Error(
        `A prepared query takes ${compiled.parameters.length} parameters, not ${parameters.length}.`,
      );
    }
    const { rows } = await db().executeQuery<Row>({ ...compiled, parameters });
    return rows;
  };
}

export class Store {
  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: 'sqlite' | 'postgres',
    private readonly sandboxEnabled: boolean,
    private readonly cipher: CredentialCipher,
  ) {}

  // Placeholders ('') stand where each call's parameters go.
  private readonly apiKeyByHash = prepared(
    () => this.db,
    () =>
      this.db
        .selectFrom('api_keys')
        .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
        .select([
          'api_keys.id',
          'api_keys.tenant_id',
          'api_keys.scopes',
          'tenants.is_sandbox',
        ])
        .where('api_keys.key_hash', '=', '')
        .where('api_keys.revoked_at', 'is', null),
  );

  private readonly organizationByTokenHash = prepared(
    () => this.db,
    () =>
      this.db
        .selectFrom('organizations')
        .select('id')
        .where('account_token_hash', '=', '')
        .where('tenant_id', '=', ''),
  );

  private readonly linkedAccountsOf = prepared(
    () => this.db,
    () =>
      this.db
        .selectFrom('linked_accounts')
        .select(['id', 'category', 'provider'])
        .where('organization_id', '=', '')
        .orderBy('category'),
  );

  private readonly ownedLinkedAccount = prepared(
    () => this.db,
    () =>
      this.db
        .selectFrom('linked_accounts')
        .innerJoin(
          'organizations',
          'organizations.id',
          'linked_accounts.organization_id',
        )
        .selectAll('linked_accounts')
        .select('organizations.tenant_id')
        .where('linked_accounts.id', '=', '')
        .where('linked_accounts.organization_id', '=', '')
        .where('organizations.tenant_id', '=', ''),
  );

  static async open(options: StoreOptions): Promise<Store> {
    let db: Kysely<Database>;
    let dialect: 'sqlite' | 'postgres';
    if (options.databaseUrl) {
      dialect = 'postgres';
      db = new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({
            connectionString: options.databaseUrl,
            max: 10,
          }),
        }),
      });
    } else {
      dialect = 'sqlite';
      const path = options.sqlitePath ?? '.tributary/tributary.db';
      if (path !== ':memory:') {
        mkdirSync(dirname(path), { recursive: true });
      }
      const database = new SQLite(path);
      database.pragma('journal_mode = WAL');
      database.pragma('busy_timeout = 5000');
      database.pragma('foreign_keys = ON');
      db = new Kysely<Database>({
        dialect: new SqliteDialect({ database: withStatementCache(database) }),
      });
    }
    const cipher = new CredentialCipher(
      options.encryptionKeys ??
        parseEncryptionKeys(DEVELOPMENT_ENCRYPTION_KEYS),
    );
    // Kysely looks for its migration tables in every schema it can see;
    // naming the current one keeps stores on sibling schemas of one
    // database (the Postgres tests) from mistaking each other's tables.
    const migrationTableSchema =
      dialect === 'postgres'
        ? (
            await sql<{
              schema: string;
            }>`select current_schema() as schema`.execute(db)
          ).rows[0]?.schema
        : undefined;
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations(cipher) },
      // Migration numbers are reserved per issue (0003…0007, 0013, 0023)
      // and land in any order; a store that already ran a later one must
      // still accept an earlier one merged after it.
      allowUnorderedMigrations: true,
      ...(migrationTableSchema ? { migrationTableSchema } : {}),
    });
    const { error } = await migrator.migrateToLatest();
    if (error) {
      await db.destroy();
      throw new Error(`The store's migrations failed on ${dialect}.`, {
        cause: error,
      });
    }
    options.logger.debug({ dialect }, 'store ready');
    return new Store(db, dialect, options.sandboxEnabled, cipher);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Answers whether the store can serve a query. */
  async ping(): Promise<boolean> {
    try {
      await this.db.selectFrom('tenants').select('id').limit(1).execute();
      return true;
    } catch {
      return false;
    }
  }

  async createTenant(input: {
    name: string;
    isSandbox?: boolean;
    id?: string;
  }): Promise<{ id: string; name: string }> {
    const id = input.id ?? randomUUID();
    await this.db
      .insertInto('tenants')
      .values({
        id,
        name: input.name,
        is_sandbox: input.isSandbox ? 1 : 0,
        created_at: now(),
      })
      .execute();
    return { id, name: input.name };
  }

  /**
   * Creates an API key. The secret is returned once and stored only as a
   * hash; pass `secret` only for fixed, well-known keys (the sandbox's).
   */
  async createApiKey(input: {
    tenantId: string;
    name: string;
    scopes: readonly Scope[];
    secret?: string;
  }): Promise<{ id: string; secret: string }> {
    const secret =
      input.secret ?? `sk_${randomBytes(24).toString('base64url')}`;
    const id = randomUUID();
    await this.db
      .insertInto('api_keys')
      .values({
        id,
        tenant_id: input.tenantId,
        name: input.name,
        key_hash: hashSecret(secret),
        key_prefix: secret.slice(0, 10),
        scopes: JSON.stringify(input.scopes),
        created_at: now(),
        revoked_at: null,
      })
      .execute();
    return { id, secret };
  }

  /** Creates an end-customer organization and returns its account token. */
  async createOrganization(input: {
    tenantId: string;
    name: string;
    accountToken?: string;
    id?: string;
  }): Promise<{ id: string; accountToken: string }> {
    const accountToken =
      input.accountToken ?? `acct_${randomBytes(18).toString('base64url')}`;
    const id = input.id ?? randomUUID();
    await this.db
      .insertInto('organizations')
      .values({
        id,
        tenant_id: input.tenantId,
        name: input.name,
        account_token_hash: hashSecret(accountToken),
        created_at: now(),
      })
      .execute();
    return { id, accountToken };
  }

  /**
   * Links a provider account to an organization, replacing the one it had
   * in that category (an organization has at most one per category).
   */
  async linkAccount(input: {
    organizationId: string;
    category: Category;
    provider: string;
    baseUrl: string;
    credentials: Record<string, string>;
  }): Promise<{ id: string }> {
    const at = now();
    const existing = await this.db
      .selectFrom('linked_accounts')
      .select('id')
      .where('organization_id', '=', input.organizationId)
      .where('category', '=', input.category)
      .executeTakeFirst();
    if (existing) {
      await this.db
        .updateTable('linked_accounts')
        .set((eb) => ({
          provider: input.provider,
          base_url: input.baseUrl,
          credentials: this.cipher.seal(input.credentials, existing.id),
          status: 'ACTIVE',
          updated_at: at,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', existing.id)
        .execute();
      return { id: existing.id };
    }
    const id = randomUUID();
    await this.db
      .insertInto('linked_accounts')
      .values({
        id,
        organization_id: input.organizationId,
        category: input.category,
        provider: input.provider,
        base_url: input.baseUrl,
        credentials: this.cipher.seal(input.credentials, id),
        status: 'ACTIVE',
        created_at: at,
        updated_at: at,
      })
      .execute();
    return { id };
  }

  /** Removes an organization's linked account in one category. */
  async unlinkAccount(
    organizationId: string,
    category: Category,
  ): Promise<void> {
    await this.db
      .deleteFrom('linked_accounts')
      .where('organization_id', '=', organizationId)
      .where('category', '=', category)
      .execute();
  }

  /**
   * Resolves an API key and an account token to a principal. The account
   * token must name an organization of the key's own tenant: another
   * tenant's token is as unknown as a made-up one.
   */
  async authenticate(
    apiKey: string | undefined,
    accountToken: string | undefined,
  ): Promise<AuthenticationResult> {
    if (!apiKey) {
      return { ok: false, reason: 'missing-api-key' };
    }
    const [key] = await this.apiKeyByHash(hashSecret(apiKey));
    if (!key) {
      return { ok: false, reason: 'unknown-api-key' };
    }
    if (key.is_sandbox === 1 && !this.sandboxEnabled) {
      return { ok: false, reason: 'sandbox-off' };
    }
    if (!accountToken) {
      return { ok: false, reason: 'missing-account-token' };
    }
    const [organization] = await this.organizationByTokenHash(
      hashSecret(accountToken),
      key.tenant_id,
    );
    if (!organization) {
      return { ok: false, reason: 'unknown-account-token' };
    }
    const accounts = await this.linkedAccountsOf(organization.id);
    return {
      ok: true,
      principal: {
        tenantId: key.tenant_id,
        apiKeyId: key.id,
        scopes: JSON.parse(key.scopes) as Scope[],
        organizationId: organization.id,
        linkedAccounts: accounts.flatMap((account) =>
          isCategory(account.category)
            ? [
                {
                  id: account.id,
                  category: account.category,
                  provider: account.provider,
                },
              ]
            : [],
        ),
      },
    };
  }

  /**
   * A linked account with its credentials, only if it belongs to the given
   * organization and tenant (a forged id from elsewhere reads as absent).
   */
  async getLinkedAccount(
    id: string,
    owner: { tenantId: string; organizationId: string },
  ): Promise<LinkedAccount | undefined> {
    const [row] = await this.ownedLinkedAccount(
      id,
      owner.organizationId,
      owner.tenantId,
    );
    if (!row || !isCategory(row.category)) {
      return undefined;
    }
    return {
      id: row.id,
      tenantId: row.tenant_id,
      organizationId: row.organization_id,
      category: row.category,
      provider: row.provider,
      baseUrl: row.base_url,
      credentials: this.cipher.open(row.credentials, row.id),
      status:
        row.status === 'RELINK_NEEDED' || row.status === 'DEGRADED'
          ? row.status
          : 'ACTIVE',
    };
  }

  /**
   * Replaces a linked account's credentials (a refreshed OAuth token, a
   * rotated refresh token), sealed with the primary key. Leaves its status
   * alone.
   */
  async updateCredentials(
    id: string,
    credentials: Record<string, string>,
  ): Promise<void> {
    await this.db
      .updateTable('linked_accounts')
      .set((eb) => ({
        credentials: this.cipher.seal(credentials, id),
        updated_at: now(),
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
  }

  /**
   * Sets a linked account's status: `RELINK_NEEDED` when the provider
   * refused its credentials for good (a failed refresh), after which its
   * fields answer RELINK_NEEDED until the account is linked again.
   */
  async setLinkedAccountStatus(
    id: string,
    status: LinkedAccountStatus,
  ): Promise<void> {
    await this.db
      .updateTable('linked_accounts')
      .set((eb) => ({
        status,
        updated_at: now(),
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
  }

  /**
   * Re-seals every linked account's credentials that are not under the
   * primary key, after a key rotation; returns how many rows changed.
   * Old keys may leave `TRIBUTARY_ENCRYPTION_KEYS` once this returns.
   */
  async resealCredentials(): Promise<number> {
    const rows = await this.db
      .selectFrom('linked_accounts')
      .select(['id', 'credentials'])
      .execute();
    let changed = 0;
    for (const row of rows) {
      if (
        CredentialCipher.keyIdOf(row.credentials) === this.cipher.primaryKeyId
      ) {
        continue;
      }
      await this.updateCredentials(
        row.id,
        this.cipher.open(row.credentials, row.id),
      );
      changed += 1;
    }
    return changed;
  }

  /** Finds an organization by its account token within a tenant. */
  async findOrganization(
    tenantId: string,
    accountToken: string,
  ): Promise<{ id: string; name: string } | undefined> {
    return this.db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('account_token_hash', '=', hashSecret(accountToken))
      .executeTakeFirst();
  }

  async findTenantByName(
    name: string,
  ): Promise<{ id: string; name: string } | undefined> {
    return this.db
      .selectFrom('tenants')
      .select(['id', 'name'])
      .where('name', '=', name)
      .executeTakeFirst();
  }
}

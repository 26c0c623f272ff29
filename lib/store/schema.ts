import type { Generated } from 'kysely';

/**
 * Tables of the store, portable across SQLite and PostgreSQL: ids are text
 * (UUIDs), instants are ISO 8601 text, booleans are 0/1 integers, lists and
 * credentials are JSON text.
 */
export interface Database {
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  organizations: OrganizationTable;
  linked_accounts: LinkedAccountTable;
  audit_records: AuditRecordTable;
}

export interface TenantTable {
  id: string;
  name: string;
  /** 1 for the sandbox tenant, accepted only while the sandbox is on. */
  is_sandbox: number;
  created_at: string;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  key_hash: string;
  /** First characters of the secret, to recognize a key in listings. */
  key_prefix: string;
  /** JSON array of scope names. */
  scopes: string;
  created_at: string;
  revoked_at: string | null;
  /** When the secret was last replaced (migration 0005). */
  rotated_at: Generated<string | null>;
}

export interface OrganizationTable {
  id: string;
  tenant_id: string;
  name: string;
  /** SHA-256 of the account token, hex. */
  account_token_hash: string;
  created_at: string;
}

export interface LinkedAccountTable {
  id: string;
  organization_id: string;
  category: string;
  provider: string;
  base_url: string;
  /**
   * The provider's credentials as a JSON object sealed with AES-256-GCM
   * (`tcv1.<keyId>.…`, see lib/credentials.ts); never plaintext.
   */
  credentials: string;
  status: string;
  created_at: string;
  updated_at: string;
  /** Bumped on every update; lets readers cache by (id, version). */
  version: Generated<number>;
}

/** One gateway operation (migration 0005). Never holds returned values. */
export interface AuditRecordTable {
  id: string;
  occurred_at: string;
  tenant_id: string;
  api_key_id: string;
  /** `graphql` (the unified API) or `admin` (the admin API). */
  surface: string;
  /**
   * The organization the account token named; never the token itself.
   * Null on the admin API, which takes no account token.
   */
  organization_id: string | null;
  request_id: string;
  operation_name: string | null;
  /** `query`, `mutation` or `subscription`; null when it never parsed. */
  operation_type: string | null;
  /** SHA-256 of the operation's text, hex. */
  operation_hash: string | null;
  /** JSON array of the categories whose subgraphs were called. */
  categories: string;
  /** JSON array of personal-data field coordinates returned non-null. */
  personal_fields: string;
  /** JSON array of pay field coordinates returned non-null. */
  compensation_fields: string;
  /** `OK`, `PARTIAL` or `FAILED`. */
  outcome: string;
  /** JSON array of the distinct error codes in the response. */
  error_codes: string;
  duration_ms: number;
}

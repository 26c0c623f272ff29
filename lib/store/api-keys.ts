import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Scope } from '../categories';
import { SCOPES } from '../categories';
import { ErrorCode, tributaryError } from '../errors';
import type { Database } from './schema';
import { hashSecret } from './store';

/**
 * API key management for a tenant's admins (the admin GraphQL API and the
 * CLI). A key's secret is returned once, when created or rotated, and
 * stored only as its SHA-256 hash. Every function is scoped to a tenant: a
 * key id of another tenant reads as unknown.
 */

/** An API key as listings show it: never the secret, never its hash. */
export interface ApiKeySummary {
  id: string;
  tenantId: string;
  name: string;
  /** First characters of the secret, to recognize a key. */
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/** A new secret, shown once. */
export interface IssuedApiKey {
  apiKey: ApiKeySummary;
  secret: string;
}

/** A fresh secret: `sk_` and 32 base64url characters (192 random bits). */
export function newApiKeySecret(): string {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/** Throws `BAD_USER_INPUT` unless every scope is a known one. */
export function parseScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter(
    (scope) => !(SCOPES as readonly string[]).includes(scope),
  );
  if (unknown.length > 0 || scopes.length === 0) {
    throw tributaryError(
      ErrorCode.BAD_USER_INPUT,
      `Expected one or more of ${SCOPES.join(', ')}, received ${
        scopes.length === 0 ? 'none' : unknown.join(', ')
      }.`,
    );
  }
  return [...new Set(scopes)] as Scope[];
}

function summary(row: {
  id: string;
  tenant_id: string;
  name: string;
  key_prefix: string;
  scopes: string;
  created_at: string;
  rotated_at: string | null;
  revoked_at: string | null;
}): ApiKeySummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    prefix: row.key_prefix,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: row.created_at,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

const COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'key_prefix',
  'scopes',
  'created_at',
  'rotated_at',
  'revoked_at',
] as const;

/** A tenant's API keys, revoked ones included, oldest first. */
export async function listApiKeys(
  db: Kysely<Database>,
  tenantId: string,
): Promise<ApiKeySummary[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(summary);
}

/** One of a tenant's API keys; `NOT_FOUND` when the tenant has no such key. */
export async function getApiKey(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<ApiKeySummary> {
  const row = await db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) {
    throw tributaryError(ErrorCode.NOT_FOUND, `No API key ${id}.`);
  }
  return summary(row);
}

/**
 * Replaces a live key's secret: the old secret stops working at once, the
 * key keeps its id, name and scopes (so the audit trail stays continuous).
 * `NOT_FOUND` for an unknown or revoked key.
 */
export async function rotateApiKey(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<IssuedApiKey> {
  const secret = newApiKeySecret();
  const result = await db
    .updateTable('api_keys')
    .set({
      key_hash: hashSecret(secret),
      key_prefix: secret.slice(0, 10),
      rotated_at: new Date().toISOString(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw tributaryError(
      ErrorCode.NOT_FOUND,
      `No live API key ${id} to rotate.`,
    );
  }
  return { apiKey: await getApiKey(db, tenantId, id), secret };
}

/**
 * Revokes a key: it authenticates no more. Revoking a revoked key keeps its
 * first revocation instant. `NOT_FOUND` for a key of no such id.
 */
export async function revokeApiKey(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<ApiKeySummary> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date().toISOString() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  return getApiKey(db, tenantId, id);
}

/** What an API key alone authenticates as (the admin API needs no account token). */
export type KeyAuthentication =
  | { ok: true; apiKeyId: string; tenantId: string; scopes: Scope[] }
  | {
      ok: false;
      reason: 'missing-api-key' | 'unknown-api-key' | 'sandbox-off';
    };

/** Resolves an API key, without an organization, for the admin API. */
export async function authenticateApiKey(
  db: Kysely<Database>,
  secret: string | undefined,
  options: { sandboxEnabled: boolean },
): Promise<KeyAuthentication> {
  if (!secret) return { ok: false, reason: 'missing-api-key' };
  const key = await db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select([
      'api_keys.id',
      'api_keys.tenant_id',
      'api_keys.scopes',
      'tenants.is_sandbox',
    ])
    .where('api_keys.key_hash', '=', hashSecret(secret))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!key) return { ok: false, reason: 'unknown-api-key' };
  if (key.is_sandbox === 1 && !options.sandboxEnabled) {
    return { ok: false, reason: 'sandbox-off' };
  }
  return {
    ok: true,
    apiKeyId: key.id,
    tenantId: key.tenant_id,
    scopes: JSON.parse(key.scopes) as Scope[],
  };
}

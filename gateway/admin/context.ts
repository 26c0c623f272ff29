import type { Request } from 'express';
import { hashSecret, type Store } from '../../lib/store/store';

/** What every admin resolver receives: the admin's tenant and the store. */
export interface AdminContext {
  tenantId: string;
  apiKeyId: string;
  store: Store;
}

export type AdminAuthentication =
  | { ok: true; tenantId: string; apiKeyId: string }
  | { ok: false; status: 401 | 403; message: string };

/**
 * Authenticates an admin request: `Authorization: Bearer <api key>` of a
 * key with the `admin` scope. No account token is needed: an admin sees
 * every organization of the key's tenant, and nothing of other tenants.
 */
export async function authenticateAdmin(
  store: Store,
  request: Request,
  options: { sandboxEnabled: boolean },
): Promise<AdminAuthentication> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(
    request.header('authorization') ?? '',
  );
  const apiKey = match?.[1];
  if (!apiKey) {
    return {
      ok: false,
      status: 401,
      message: 'Send an admin API key as "Authorization: Bearer <api key>".',
    };
  }
  const key = await store.db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select([
      'api_keys.id',
      'api_keys.tenant_id',
      'api_keys.scopes',
      'tenants.is_sandbox',
    ])
    .where('api_keys.key_hash', '=', hashSecret(apiKey))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!key || (key.is_sandbox === 1 && !options.sandboxEnabled)) {
    return {
      ok: false,
      status: 401,
      message: 'The API key is unknown or revoked.',
    };
  }
  const scopes = JSON.parse(key.scopes) as string[];
  if (!scopes.includes('admin')) {
    return {
      ok: false,
      status: 403,
      message: 'The admin API needs an API key with the admin scope.',
    };
  }
  return { ok: true, tenantId: key.tenant_id, apiKeyId: key.id };
}

import type { Category, Scope } from './categories';
import { SCOPES } from './categories';
import type { Logger } from './logger';
import type { Store } from './store/store';
import { hashSecret } from './store/store';

/**
 * The sandbox tenant: well-known API keys and account tokens that work only
 * while the sandbox is on (development by default, never in production
 * unless `TRIBUTARY_SANDBOX=1`), linked to the sandbox provider servers.
 */

/** Credentials the sandbox providers accept for an organization `key`. */
export const sandboxCredentials = {
  bamboohr: (key: string) => ({
    companyDomain: key,
    apiKey: `sandbox-bamboohr-${key}`,
  }),
  hibob: (key: string) => ({
    serviceUserId: `SERVICE-SANDBOX-${key.toUpperCase()}`,
    token: `sandbox-hibob-${key}`,
  }),
  personio: (key: string) => ({
    clientId: `papi-sandbox-${key}`,
    clientSecret: `sandbox-personio-${key}`,
  }),
  hubspot: (key: string) => ({ accessToken: `pat-sandbox-${key}` }),
  jira: (key: string) => ({
    site: key,
    email: `sandbox-bot@${key}.example`,
    apiToken: `sandbox-jira-${key}`,
  }),
  zendesk: (key: string) => ({
    subdomain: key,
    email: `sandbox-agent@${key}.example`,
    apiToken: `sandbox-zendesk-${key}`,
  }),
  /** A Linear personal API key; the workspace is the key's. */
  linear: (key: string) => ({ apiKey: `lin_api_sandbox_${key}` }),
  /** A connected app and a refresh token; the first call refreshes. */
  salesforce: (key: string) => ({
    clientId: `sandbox-sf-client-${key}`,
    clientSecret: `sandbox-sf-secret-${key}`,
    refreshToken: `sandbox-sf-refresh-${key}`,
  }),
  pipedrive: (key: string) => ({ apiToken: `sandbox-pipedrive-${key}` }),
};

const READ_WRITE: Scope[] = [
  'hris:read',
  'crm:read',
  'crm:write',
  'ticketing:read',
  'ticketing:write',
];

interface SandboxTenantSpec {
  tenantId: string;
  name: string;
  keys: Array<{ secret: string; name: string; scopes: Scope[] }>;
  organizations: Array<{ id: string; key: string; accountToken: string }>;
}

/** API keys and account tokens printed by `npm start`. */
export const SANDBOX_TENANTS: readonly SandboxTenantSpec[] = [
  {
    tenantId: 'tenant_sandbox',
    name: 'Sandbox',
    keys: [
      { secret: 'sk_sandbox_demo', name: 'Sandbox demo', scopes: READ_WRITE },
      {
        secret: 'sk_sandbox_pii',
        name: 'Sandbox with personal data',
        scopes: [...READ_WRITE, 'hris.pii:read', 'hris.compensation:read'],
      },
      {
        secret: 'sk_sandbox_hris_only',
        name: 'Sandbox HRIS only',
        scopes: ['hris:read'],
      },
      { secret: 'sk_sandbox_admin', name: 'Sandbox admin', scopes: ['admin'] },
    ],
    organizations: [
      { id: 'org_sandbox_acme', key: 'acme', accountToken: 'acct_acme' },
    ],
  },
  {
    tenantId: 'tenant_sandbox_other',
    name: 'Sandbox (second tenant)',
    keys: [
      {
        secret: 'sk_sandbox_other',
        name: 'Second tenant',
        scopes: [...SCOPES].filter((scope) => scope !== 'admin'),
      },
    ],
    organizations: [
      { id: 'org_sandbox_other', key: 'other', accountToken: 'acct_other' },
    ],
  },
];

/** Linked accounts of a sandbox organization, on a sandbox at `sandboxUrl`. */
export function sandboxLinks(
  sandboxUrl: string,
  key: string,
): Array<{
  category: Category;
  provider: string;
  baseUrl: string;
  credentials: Record<string, string>;
}> {
  const base = sandboxUrl.replace(/\/+$/, '');
  return [
    {
      category: 'hris',
      provider: 'bamboohr',
      baseUrl: `${base}/bamboohr`,
      credentials: sandboxCredentials.bamboohr(key),
    },
    {
      category: 'crm',
      provider: 'hubspot',
      baseUrl: `${base}/hubspot`,
      credentials: sandboxCredentials.hubspot(key),
    },
    {
      category: 'ticketing',
      provider: 'jira',
      baseUrl: `${base}/jira/${key}`,
      credentials: sandboxCredentials.jira(key),
    },
  ];
}

/**
 * Creates the sandbox tenants if absent and points their linked accounts at
 * `sandboxUrl`. Idempotent, and safe when several processes sharing one
 * store run it at once.
 */
export async function ensureSandboxTenants(
  store: Store,
  options: { sandboxUrl: string; logger: Logger },
): Promise<void> {
  // Each row is created only when absent; a unique violation means another
  // process created it first, and its row is as good as ours.
  const ignoreRace = (what: string) => (error: unknown) => {
    options.logger.debug({ what, err: error }, 'sandbox row created elsewhere');
  };
  for (const spec of SANDBOX_TENANTS) {
    const tenant = await store.db
      .selectFrom('tenants')
      .select('id')
      .where('id', '=', spec.tenantId)
      .executeTakeFirst();
    if (!tenant) {
      await store
        .createTenant({ id: spec.tenantId, name: spec.name, isSandbox: true })
        .catch(ignoreRace('tenant'));
    }
    for (const key of spec.keys) {
      const found = await store.db
        .selectFrom('api_keys')
        .select('id')
        .where('key_hash', '=', hashSecret(key.secret))
        .executeTakeFirst();
      if (!found) {
        await store
          .createApiKey({ tenantId: spec.tenantId, ...key })
          .catch(ignoreRace('api key'));
      }
    }
    for (const organization of spec.organizations) {
      const found = await store.db
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', organization.id)
        .executeTakeFirst();
      if (!found) {
        await store
          .createOrganization({
            id: organization.id,
            tenantId: spec.tenantId,
            name: organization.key,
            accountToken: organization.accountToken,
          })
          .catch(ignoreRace('organization'));
      }
      for (const link of sandboxLinks(options.sandboxUrl, organization.key)) {
        await store.linkAccount({ organizationId: organization.id, ...link });
      }
    }
  }
}

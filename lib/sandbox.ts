import type { Category, Scope } from './categories';
import { assertNever } from './errors';
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
  organizations: Array<{
    id: string;
    key: string;
    accountToken: string;
    providers: SandboxProviders;
  }>;
}

/** Which sandbox provider an organization is linked to, per category. */
export interface SandboxProviders {
  hris: 'bamboohr' | 'hibob' | 'personio';
  crm: 'hubspot' | 'salesforce' | 'pipedrive';
  ticketing: 'jira' | 'zendesk' | 'linear';
}

const DEFAULT_PROVIDERS: SandboxProviders = {
  hris: 'bamboohr',
  crm: 'hubspot',
  ticketing: 'jira',
};

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
      {
        id: 'org_sandbox_acme',
        key: 'acme',
        accountToken: 'acct_acme',
        providers: DEFAULT_PROVIDERS,
      },
      {
        id: 'org_sandbox_globex',
        key: 'globex',
        accountToken: 'acct_globex',
        providers: { hris: 'hibob', crm: 'salesforce', ticketing: 'zendesk' },
      },
      {
        id: 'org_sandbox_initech',
        key: 'initech',
        accountToken: 'acct_initech',
        providers: { hris: 'personio', crm: 'pipedrive', ticketing: 'linear' },
      },
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
      {
        id: 'org_sandbox_other',
        key: 'other',
        accountToken: 'acct_other',
        providers: DEFAULT_PROVIDERS,
      },
    ],
  },
];

export interface SandboxLink {
  category: Category;
  provider: string;
  baseUrl: string;
  credentials: Record<string, string>;
}

/**
 * The linked account of one sandbox provider for organization `key`, on a
 * sandbox at `sandboxUrl`: the base URL stands where the provider's host
 * would (a Jira site or a Zendesk subdomain carries the key in its path).
 */
export function sandboxLink(
  sandboxUrl: string,
  key: string,
  provider: SandboxProviders[Category],
): SandboxLink {
  const base = sandboxUrl.replace(/\/+$/, '');
  switch (provider) {
    case 'bamboohr':
    case 'hibob':
    case 'personio':
      return {
        category: 'hris',
        provider,
        baseUrl: `${base}/${provider}`,
        credentials: sandboxCredentials[provider](key),
      };
    case 'hubspot':
    case 'salesforce':
    case 'pipedrive':
      return {
        category: 'crm',
        provider,
        baseUrl: `${base}/${provider}`,
        credentials: sandboxCredentials[provider](key),
      };
    case 'jira':
    case 'zendesk':
      return {
        category: 'ticketing',
        provider,
        baseUrl: `${base}/${provider}/${key}`,
        credentials: sandboxCredentials[provider](key),
      };
    case 'linear':
      return {
        category: 'ticketing',
        provider,
        baseUrl: `${base}/linear`,
        credentials: sandboxCredentials.linear(key),
      };
    default:
      return assertNever(provider, 'sandbox provider');
  }
}

/** A sandbox provider: one of the providers the sandbox servers speak. */
export type SandboxProvider = SandboxProviders[Category];

/**
 * Where sandbox providers answer: `sandboxUrl` for all, unless
 * `providerUrls` names another server for a provider.
 */
export interface SandboxLocation {
  sandboxUrl: string;
  providerUrls?: Partial<Record<SandboxProvider, string>>;
}

/** Linked accounts of a sandbox organization, one per category. */
export function sandboxLinks(
  location: string | SandboxLocation,
  key: string,
  providers: SandboxProviders = DEFAULT_PROVIDERS,
): SandboxLink[] {
  const { sandboxUrl, providerUrls } =
    typeof location === 'string' ? { sandboxUrl: location } : location;
  return [providers.hris, providers.crm, providers.ticketing].map((provider) =>
    sandboxLink(providerUrls?.[provider] ?? sandboxUrl, key, provider),
  );
}

/**
 * Creates the sandbox tenants if absent and points their linked accounts at
 * `sandboxUrl` (or a provider's own server in `providerUrls`). Idempotent,
 * and safe when several processes sharing one store run it at once.
 */
export async function ensureSandboxTenants(
  store: Store,
  options: SandboxLocation & { logger: Logger },
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
      for (const link of sandboxLinks(
        options,
        organization.key,
        organization.providers,
      )) {
        await store.linkAccount({ organizationId: organization.id, ...link });
      }
    }
  }
}

/** The categories Tributary unifies; each is one subgraph. */
export const CATEGORIES = ['hris', 'crm', 'ticketing'] as const;

export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

/**
 * Providers Tributary has a connector for: their category and the
 * credential fields a linked account of theirs must carry.
 */
export const PROVIDERS: Record<
  string,
  { category: Category; credentials: readonly string[]; example: string }
> = {
  bamboohr: {
    category: 'hris',
    credentials: ['companyDomain', 'apiKey'],
    example: 'https://api.bamboohr.com',
  },
  hibob: {
    category: 'hris',
    credentials: ['serviceUserId', 'token'],
    example: 'https://api.hibob.com',
  },
  personio: {
    category: 'hris',
    credentials: ['clientId', 'clientSecret'],
    example: 'https://api.personio.de',
  },
  hubspot: {
    category: 'crm',
    credentials: ['accessToken'],
    example: 'https://api.hubapi.com',
  },
  salesforce: {
    category: 'crm',
    credentials: ['clientId', 'clientSecret', 'refreshToken'],
    example: 'https://login.salesforce.com',
  },
  pipedrive: {
    category: 'crm',
    credentials: ['apiToken'],
    example: 'https://your-company.pipedrive.com',
  },
  jira: {
    category: 'ticketing',
    credentials: ['email', 'apiToken'],
    example: 'https://your-site.atlassian.net',
  },
  zendesk: {
    category: 'ticketing',
    credentials: ['email', 'apiToken'],
    example: 'https://your-subdomain.zendesk.com',
  },
  linear: {
    category: 'ticketing',
    // A personal API key (`apiKey`) or an OAuth access token (`accessToken`).
    credentials: ['apiKey'],
    example: 'https://api.linear.app',
  },
};

/** Scopes an API key can carry. */
export const SCOPES = [
  'hris:read',
  'hris.pii:read',
  'hris.compensation:read',
  'crm:read',
  'crm:write',
  'ticketing:read',
  'ticketing:write',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

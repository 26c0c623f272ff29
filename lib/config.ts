import { z } from 'zod';

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a port number' })
    .int('expected a whole number')
    .min(0, 'expected 0 to 65535')
    .max(65_535, 'expected 0 to 65535')
    .default(fallback);

const positive = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .default(fallback);

const optionalUrl = z
  .url({
    error: 'expected an absolute URL such as http://127.0.0.1:4001/graphql',
  })
  .optional();

const flag = z
  .enum(['0', '1', 'true', 'false'], { error: 'expected 1 or 0' })
  .transform((value) => value === '1' || value === 'true')
  .optional();

/** A development-only secret: production must configure its own. */
const DEV_IDENTITY_SECRET =
  'tributary-development-identity-secret-not-for-prod';

const schema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      error: 'expected development, production or test',
    })
    .default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(4000),
  SANDBOX_PORT: port(4100),
  HRIS_PORT: port(4001),
  CRM_PORT: port(4002),
  TICKETING_PORT: port(4003),
  SUBGRAPH_HRIS_URL: optionalUrl,
  SUBGRAPH_CRM_URL: optionalUrl,
  SUBGRAPH_TICKETING_URL: optionalUrl,
  TRIBUTARY_SANDBOX: flag,
  SANDBOX_URL: optionalUrl,
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// connection string')
    .optional(),
  TRIBUTARY_DB_PATH: z.string().min(1).default('.tributary/tributary.db'),
  TRIBUTARY_IDENTITY_SECRET: z
    .string()
    .min(32, 'expected at least 32 characters')
    .optional(),
  IDENTITY_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// connection string')
    .optional(),
  PERSISTED_QUERIES: z
    .enum(['apq', 'safelist'], { error: 'expected apq or safelist' })
    .default('apq'),
  PERSISTED_QUERY_MANIFEST: z
    .string()
    .min(1)
    .default('persisted-query-manifest.json'),
  PERSISTED_QUERY_TTL_SECONDS: positive(86_400),
  CORS_ORIGINS: z
    .string()
    .transform((value, context) => {
      const origins = value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
      // An origin is scheme, host and port only, as browsers send it.
      const bad = origins.filter(
        (origin) => !URL.canParse(origin) || new URL(origin).origin !== origin,
      );
      if (bad.length > 0) {
        context.addIssue({
          code: 'custom',
          message: `expected comma-separated origins such as https://app.example.com (not ${bad.map((origin) => JSON.stringify(origin)).join(', ')})`,
        });
      }
      return origins;
    })
    .optional(),
  QUERY_MAX_DEPTH: positive(10),
  QUERY_MAX_ALIASES: positive(15),
  QUERY_MAX_DIRECTIVES: positive(20),
  QUERY_MAX_TOKENS: positive(2_000),
  QUERY_MAX_COST: positive(5_000),
  REQUEST_MAX_BYTES: positive(100_000),
  REQUEST_MAX_BATCH: positive(10),
  RATE_LIMIT_REQUESTS: positive(600),
  RATE_LIMIT_WINDOW_SECONDS: positive(60),
});

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  gatewayPort: number;
  sandboxPort: number;
  subgraphPorts: { hris: number; crm: number; ticketing: number };
  /** Routing URL overrides; absent ones come from the supergraph. */
  subgraphUrls: { hris?: string; crm?: string; ticketing?: string };
  sandboxEnabled: boolean;
  /** Where the sandbox providers answer. */
  sandboxUrl: string;
  databaseUrl: string | undefined;
  sqlitePath: string;
  identitySecret: string;
  identityTtlSeconds: number;
  providerTimeoutMs: number;
  logLevel: string | undefined;
  /** Redis shared by gateway replicas (persisted queries, rate limits). */
  redisUrl: string | undefined;
  persistedQueries: {
    /** `apq`: automatic persisted queries; `safelist`: only the manifest's. */
    mode: 'apq' | 'safelist';
    /** Apollo persisted query manifest read in safelist mode. */
    manifestPath: string;
    /** Lifetime of a registered automatic persisted query. */
    ttlSeconds: number;
  };
  /** Browser origins allowed to call the gateway (CORS); production only. */
  corsOrigins: string[];
  /** Per-operation limits, checked before any subgraph or provider call. */
  queryLimits: {
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxCost: number;
  };
  /** Per-HTTP-request limits. */
  requestLimits: { maxBytes: number; maxBatch: number };
  /** Requests allowed per API key per window. */
  rateLimit: { requests: number; windowSeconds: number };
}

/** Configuration names something is wrong with, with what was expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once, at start-up. Every problem is
 * reported at once, each naming the variable, what was expected and what
 * was received.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        return `${name}: ${issue.message}, received ${JSON.stringify(env[name])}`;
      }),
    );
  }
  const values = parsed.data;
  const production = values.NODE_ENV === 'production';
  if (production && !values.TRIBUTARY_IDENTITY_SECRET) {
    throw new ConfigError([
      'TRIBUTARY_IDENTITY_SECRET: required when NODE_ENV=production (a random string of at least 32 characters shared by the gateway and the subgraphs), received nothing',
    ]);
  }
  return {
    nodeEnv: values.NODE_ENV,
    host: values.HOST,
    gatewayPort: values.PORT,
    sandboxPort: values.SANDBOX_PORT,
    subgraphPorts: {
      hris: values.HRIS_PORT,
      crm: values.CRM_PORT,
      ticketing: values.TICKETING_PORT,
    },
    subgraphUrls: {
      ...(values.SUBGRAPH_HRIS_URL ? { hris: values.SUBGRAPH_HRIS_URL } : {}),
      ...(values.SUBGRAPH_CRM_URL ? { crm: values.SUBGRAPH_CRM_URL } : {}),
      ...(values.SUBGRAPH_TICKETING_URL
        ? { ticketing: values.SUBGRAPH_TICKETING_URL }
        : {}),
    },
    sandboxEnabled: values.TRIBUTARY_SANDBOX ?? !production,
    sandboxUrl: values.SANDBOX_URL ?? `http://127.0.0.1:${values.SANDBOX_PORT}`,
    databaseUrl: values.DATABASE_URL,
    sqlitePath: values.TRIBUTARY_DB_PATH,
    identitySecret: values.TRIBUTARY_IDENTITY_SECRET ?? DEV_IDENTITY_SECRET,
    identityTtlSeconds: values.IDENTITY_TTL_SECONDS,
    providerTimeoutMs: values.PROVIDER_TIMEOUT_MS,
    logLevel: values.LOG_LEVEL,
    redisUrl: values.REDIS_URL,
    persistedQueries: {
      mode: values.PERSISTED_QUERIES,
      manifestPath: values.PERSISTED_QUERY_MANIFEST,
      ttlSeconds: values.PERSISTED_QUERY_TTL_SECONDS,
    },
    corsOrigins: values.CORS_ORIGINS ?? [],
    queryLimits: {
      maxDepth: values.QUERY_MAX_DEPTH,
      maxAliases: values.QUERY_MAX_ALIASES,
      maxDirectives: values.QUERY_MAX_DIRECTIVES,
      maxTokens: values.QUERY_MAX_TOKENS,
      maxCost: values.QUERY_MAX_COST,
    },
    requestLimits: {
      maxBytes: values.REQUEST_MAX_BYTES,
      maxBatch: values.REQUEST_MAX_BATCH,
    },
    rateLimit: {
      requests: values.RATE_LIMIT_REQUESTS,
      windowSeconds: values.RATE_LIMIT_WINDOW_SECONDS,
    },
  };
}

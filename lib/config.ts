import { z } from 'zod';
import {
  DEVELOPMENT_ENCRYPTION_KEYS,
  EncryptionKeyError,
  parseEncryptionKeys,
  type CredentialKey,
} from './credentials';

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
  REQUEST_BUDGET_MS: z.coerce.number().int().min(100).default(20_000),
  CIRCUIT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CIRCUIT_HALF_OPEN_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
  PROVIDER_LOG_RETENTION_DAYS: z.coerce.number().min(0.001).default(7),
  INTEGRATION_ISSUE_THRESHOLD: z.coerce.number().int().min(1).default(3),
  RELINK_PROBE_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  SANDBOX_FAULTS: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  AUDIT_RETENTION_DAYS: z.coerce
    .number({ error: 'expected a number of days' })
    .int('expected a whole number of days')
    .min(1, 'expected at least 1 day')
    .default(90),
  TRIBUTARY_ENCRYPTION_KEYS: z.string().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
    .optional(),
  CACHE_KEY_PREFIX: z.string().min(1).default('tributary'),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(0).default(60),
  CACHE_TTL_BY_RESOURCE: z
    .string()
    .regex(
      /^\s*[^=,\s]+\s*=\s*\d+\s*(,\s*[^=,\s]+\s*=\s*\d+\s*)*$/,
      'expected <provider>:<route>=<seconds>[,…]',
    )
    .optional(),
  CACHE_STALE_WHILE_REVALIDATE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30),
  CACHE_STALE_IF_ERROR_SECONDS: z.coerce.number().int().min(0).default(3_600),
  CACHE_RESPONSE_TTL_SECONDS: z.coerce.number().int().min(0).optional(),
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(150),
  SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
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
  QUERY_MAX_COST: positive(60_000),
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
  /** Time budget of one GraphQL request for its provider calls, retries included, in ms. */
  requestBudgetMs: number;
  /** Circuit breaker per provider and linked account (lib/circuit.ts). */
  circuitFailureThreshold: number;
  circuitHalfOpenAfterMs: number;
  /** Provider request logs older than this are deleted, in days. */
  providerLogRetentionDays: number;
  /** Consecutive failed calls of one kind that open an integration issue. */
  integrationIssueThreshold: number;
  /** How often a `RELINK_NEEDED` account is tried again anyway, in ms. */
  relinkProbeIntervalMs: number;
  /** Raw `SANDBOX_FAULTS` JSON, parsed by sandbox/faults.ts. */
  sandboxFaults: string | undefined;
  /** OTLP/HTTP endpoint for traces; unset keeps tracing off. */
  otlpEndpoint: string | undefined;
  /** Audit records older than this many days are purged (hourly). */
  auditRetentionDays: number;
  logLevel: string | undefined;
  /**
   * Keys sealing linked-account credentials at rest: the first encrypts,
   * all decrypt (see lib/credentials.ts).
   */
  encryptionKeys: CredentialKey[];
  /** Cross-request cache (lib/cache.ts); Redis only when `redisUrl` is set. */
  cache: CacheConfig;
  /** Added delay of every sandbox provider answer, in ms. */
  sandboxLatencyMs: number;
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

export interface CacheConfig {
  redisUrl: string | undefined;
  keyPrefix: string;
  /** Time bound of one cache store call, in ms. */
  timeoutMs: number;
  /** Default fresh time of provider data, in seconds; 0 turns it off. */
  ttlSeconds: number;
  /** Fresh time by `<provider>:<route>`, in seconds. */
  ttlByResource: Record<string, number>;
  staleWhileRevalidateSeconds: number;
  staleIfErrorSeconds: number;
  /**
   * How long the gateway keeps whole query responses, in seconds; by
   * default the shortest provider data TTL, 0 when the data cache is off.
   */
  responseTtlSeconds: number;
}

/**
 * Resources that change rarely keep longer: user directories and pipeline
 * definitions. `CACHE_TTL_BY_RESOURCE` overrides or extends these.
 */
const DEFAULT_TTL_BY_RESOURCE: Record<string, number> = {
  'jira:/rest/api/3/users/search': 300,
  'jira:/rest/api/3/myself': 3_600,
  'hubspot:/crm/v3/owners': 300,
  'hubspot:/crm/v3/pipelines/deals': 600,
};

function parseTtlByResource(value: string | undefined): Record<string, number> {
  const ttls = { ...DEFAULT_TTL_BY_RESOURCE };
  for (const pair of value?.split(',') ?? []) {
    const at = pair.lastIndexOf('=');
    ttls[pair.slice(0, at).trim()] = Number(pair.slice(at + 1));
  }
  return ttls;
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
  const ttlByResource = parseTtlByResource(values.CACHE_TTL_BY_RESOURCE);
  const production = values.NODE_ENV === 'production';
  if (production && !values.TRIBUTARY_IDENTITY_SECRET) {
    throw new ConfigError([
      'TRIBUTARY_IDENTITY_SECRET: required when NODE_ENV=production (a random string of at least 32 characters shared by the gateway and the subgraphs), received nothing',
    ]);
  }
  const encryptionKeys = loadEncryptionKeys(
    values.TRIBUTARY_ENCRYPTION_KEYS,
    production,
  );
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
    requestBudgetMs: values.REQUEST_BUDGET_MS,
    circuitFailureThreshold: values.CIRCUIT_FAILURE_THRESHOLD,
    circuitHalfOpenAfterMs: values.CIRCUIT_HALF_OPEN_AFTER_MS,
    providerLogRetentionDays: values.PROVIDER_LOG_RETENTION_DAYS,
    integrationIssueThreshold: values.INTEGRATION_ISSUE_THRESHOLD,
    relinkProbeIntervalMs: values.RELINK_PROBE_INTERVAL_MS,
    sandboxFaults: values.SANDBOX_FAULTS,
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT,
    auditRetentionDays: values.AUDIT_RETENTION_DAYS,
    logLevel: values.LOG_LEVEL,
    encryptionKeys,
    cache: {
      responseTtlSeconds:
        values.CACHE_TTL_SECONDS === 0
          ? 0
          : (values.CACHE_RESPONSE_TTL_SECONDS ??
            Math.min(
              values.CACHE_TTL_SECONDS,
              ...Object.values(ttlByResource),
            )),
      redisUrl: values.REDIS_URL,
      keyPrefix: values.CACHE_KEY_PREFIX,
      timeoutMs: values.CACHE_TIMEOUT_MS,
      ttlSeconds: values.CACHE_TTL_SECONDS,
      ttlByResource,
      staleWhileRevalidateSeconds: values.CACHE_STALE_WHILE_REVALIDATE_SECONDS,
      staleIfErrorSeconds: values.CACHE_STALE_IF_ERROR_SECONDS,
    },
    sandboxLatencyMs: values.SANDBOX_LATENCY_MS,
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

function loadEncryptionKeys(
  value: string | undefined,
  production: boolean,
): CredentialKey[] {
  if (value === undefined) {
    if (production) {
      throw new ConfigError([
        'TRIBUTARY_ENCRYPTION_KEYS: required when NODE_ENV=production (keyId:base64key entries, comma-separated, each key 32 bytes, e.g. k1:$(openssl rand -base64 32)), received nothing',
      ]);
    }
    return parseEncryptionKeys(DEVELOPMENT_ENCRYPTION_KEYS);
  }
  try {
    return parseEncryptionKeys(value);
  } catch (error: unknown) {
    if (error instanceof EncryptionKeyError) {
      throw new ConfigError([`TRIBUTARY_ENCRYPTION_KEYS: ${error.message}`]);
    }
    throw error;
  }
}

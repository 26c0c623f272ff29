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
  TRIBUTARY_ENCRYPTION_KEYS: z.string().optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
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
  logLevel: string | undefined;
  /**
   * Keys sealing linked-account credentials at rest: the first encrypts,
   * all decrypt (see lib/credentials.ts).
   */
  encryptionKeys: CredentialKey[];
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
    logLevel: values.LOG_LEVEL,
    encryptionKeys,
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

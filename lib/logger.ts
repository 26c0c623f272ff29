import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Paths whose values never reach a log line, wherever a caller put them by
 * mistake: credentials, tokens and the personal fields of HRIS/CRM records.
 */
const REDACT = [
  'authorization',
  'password',
  'apiKey',
  'accessToken',
  'refreshToken',
  'token',
  'credentials',
  'email',
  'workEmail',
  'personalEmail',
  'dateOfBirth',
  '*.authorization',
  '*.password',
  '*.apiKey',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.credentials',
  '*.email',
  '*.workEmail',
  '*.personalEmail',
  '*.dateOfBirth',
  'headers.authorization',
  'headers["x-account-token"]',
  // Request and response objects a caller may log whole (pino's `req`
  // serializer shape, undici/fetch headers): credentials and identities.
  'apiToken',
  '*.apiToken',
  'secret',
  '*.secret',
  'firstName',
  'lastName',
  '*.firstName',
  '*.lastName',
  'headers.cookie',
  'headers["x-tributary-identity"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-account-token"]',
  '*.headers["x-tributary-identity"]',
];

export interface LoggerOptions {
  /** Service name on every line: `gateway`, `hris`, `sandbox`… */
  name: string;
  /** pino level; defaults to `LOG_LEVEL` or `info` (`silent` in tests). */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read them. */
  destination?: pino.DestinationStream;
}

/** The one structured logger; everything else receives it or a child. */
export function createLogger(options: LoggerOptions): Logger {
  const level =
    options.level ??
    process.env.LOG_LEVEL ??
    (process.env.VITEST ? 'silent' : 'info');
  const settings = {
    name: options.name,
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: options.name },
  };
  return options.destination
    ? pino(settings, options.destination)
    : pino(settings);
}

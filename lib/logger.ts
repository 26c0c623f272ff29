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
];

export interface LoggerOptions {
  /** Service name on every line: `gateway`, `hris`, `sandbox`… */
  name: string;
  /** pino level; defaults to `LOG_LEVEL` or `info` (`silent` in tests). */
  level?: string;
}

/** The one structured logger; everything else receives it or a child. */
export function createLogger(options: LoggerOptions): Logger {
  const level =
    options.level ??
    process.env.LOG_LEVEL ??
    (process.env.VITEST ? 'silent' : 'info');
  return pino({
    name: options.name,
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: options.name },
  });
}

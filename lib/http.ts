import {
  BrokenCircuitError,
  DelegateBackoff,
  IsolatedCircuitError,
  handleWhen,
  retry,
} from 'cockatiel';
import { Agent, errors as undiciErrors, request } from 'undici';
import type { Circuit } from './circuit';
import { ErrorCode, ProviderError } from './errors';
import type { Logger } from './logger';
import { providerRequestDuration, providerRequests } from './metrics';

export type ProviderAuth =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | BearerTokenSource
  | { type: 'header'; name: string; value: string }
  | { type: 'none' };

/**
 * A bearer token that may change (OAuth 2.0): `token()` is asked before
 * every attempt. When the provider answers 401, `onUnauthorized` receives
 * the token it rejected and resolves true once a fresh token is available;
 * the request is then sent once more, and a second 401 is final.
 */
export interface BearerTokenSource {
  type: 'bearer';
  token: () => Promise<string>;
  onUnauthorized?: (rejectedToken: string) => Promise<boolean>;
}

function isTokenSource(
  auth: Extract<ProviderAuth, { type: 'bearer' }>,
): auth is BearerTokenSource {
  return typeof auth.token === 'function';
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type QueryValue = string | number | boolean | null | undefined;

export interface ProviderRequest {
  method?: HttpMethod;
  /** Path appended to the linked account's base URL, starting with `/`. */
  path: string;
  /** Query parameters; arrays repeat the key; null/undefined are skipped. */
  query?: Record<string, QueryValue | readonly QueryValue[]>;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * Sent as `application/x-www-form-urlencoded` instead of `body` (OAuth
   * token endpoints require it).
   */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * Path template for logs and metrics (`/v1/employees/{id}`): never an id,
   * an email or any other value from a record.
   */
  route?: string;
  /**
   * Marks a POST that only reads (a search, a batch read) so it may be
   * retried. GET, PUT and DELETE are retried without it; a POST or PATCH
   * carrying an `Idempotency-Key` header is retried too, since the
   * provider then applies it at most once.
   */
  idempotent?: boolean;
  /**
   * Reads a provider's own failure signal out of a non-2xx answer (an error
   * code in the body, a reset header) where the status alone misleads:
   * e.g. a GraphQL API answering 400 with a rate-limit code. Returning
   * undefined keeps the classification by status.
   */
  classifyError?: (
    failure: ProviderFailure,
  ) => ProviderFailureClass | undefined;
}

/** A non-2xx answer as `classifyError` sees it; `body` is parsed JSON or null. */
export interface ProviderFailure {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

export interface ProviderFailureClass {
  code: ErrorCode;
  /** How long the provider asked us to wait, in ms. */
  retryAfterMs?: number;
}

/**
 * One provider call as the request logs record it, after its last attempt:
 * no URL, query, body or header, only the path template.
 */
export interface ProviderCallRecord {
  /** When the first attempt started. */
  startedAt: Date;
  provider: string;
  method: HttpMethod;
  /** Path template (`ProviderRequest.route`), `unlabelled` when absent. */
  route: string;
  /** HTTP status of the last attempt; undefined when none answered. */
  status: number | undefined;
  /** Public code of the failure; undefined when the call succeeded. */
  errorCode: ErrorCode | undefined;
  /** From the first attempt's start to the last one's end, in ms. */
  durationMs: number;
  /** Attempts sent (0 when the open circuit or the budget refused it). */
  attempts: number;
}

export interface ProviderResponse<T> {
  status: number;
  headers: Record<string, string | undefined>;
  body: T;
}

export interface ProviderClientOptions {
  /** Provider name for errors, logs and metrics: `bamboohr`, `hubspot`… */
  provider: string;
  /** Scheme, host and optional path prefix, e.g. `https://api.hubapi.com`. */
  baseUrl: string;
  auth: ProviderAuth;
  logger: Logger;
  /** Time bound of one attempt, headers and body, in ms. Default 10_000. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number;
  /**
   * Longest `Retry-After` we wait for, in ms (default 5_000): a provider
   * asking for longer answers the client now with UPSTREAM_RATE_LIMITED
   * rather than holding its request.
   */
  maxRetryAfterMs?: number;
  /**
   * The circuit of this provider and linked account: attempts run through
   * it, and while it is open calls fail at once with the code that opened
   * it.
   */
  circuit?: Circuit;
  /**
   * Epoch ms by which the GraphQL request must be answered: no attempt
   * starts and no retry waits past it, and each attempt's timeout shrinks
   * to what is left. Undefined: only `timeoutMs` bounds an attempt.
   */
  deadline?: number;
  /** Told about every call once it is over (request logs, issues). */
  onCall?: (record: ProviderCallRecord) => void;
  /**
   * How long a 429 or 503 asks us to wait, in ms, read from the provider's
   * own headers when it sends no `Retry-After` (HiBob's
   * `X-RateLimit-Reset`, Personio's documented one-second pause). Default:
   * `defaultRateLimitDelay` (`X-RateLimit-Reset`, `RateLimit-Reset`).
   */
  rateLimitDelayMs?: RateLimitDelay;
  /**
   * Reads a provider's own error body for what its status alone does not
   * say (Salesforce answers 403 both for a missing permission and for
   * `REQUEST_LIMIT_EXCEEDED`). Returns the code, or undefined to classify
   * by status. Never put the body into a message: it may hold personal data.
   */
  classifyError?: (failure: {
    status: number;
    body: string;
    headers: Record<string, string | undefined>;
  }) => ErrorCode | undefined;
  /**
   * The linked account's cross-request cache (lib/cache.ts): reads (GET and
   * `idempotent` POSTs) go through it; any other request invalidates it
   * once it succeeds.
   */
  cache?: ProviderResponseCache;
}

/** What the client needs of a cache; `AccountCache` is the real one. */
export interface ProviderResponseCache {
  fetch<V>(
    parts: { provider: string; resource: string; request: unknown },
    load: () => Promise<V>,
  ): Promise<V>;
  invalidate(): Promise<void>;
}

/** Reads a provider's own rate-limit headers; undefined when they say nothing. */
export type RateLimitDelay = (
  headers: Record<string, string | undefined>,
  now: number,
) => number | undefined;

/** One keep-alive pool per process, shared by every provider client. */
const sharedAgent = new Agent({
  keepAliveTimeout: 10_000,
  connections: 64,
});

const RETRY_BASE_MS = 100;

/** `Retry-After` as seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(
  value: string | undefined,
  now = Date.now(),
): number | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads a reset header: delta seconds, epoch seconds or a date. */
function parseReset(
  value: string | undefined,
  now: number,
): number | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const number = Number(value);
  if (Number.isFinite(number)) {
    // Epoch seconds are over a billion; anything smaller is a delta.
    return Math.max(0, number > 1e9 ? number * 1000 - now : number * 1000);
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The default `RateLimitDelay`: `Retry-After` (RFC 9110), then the common
 * reset headers (`X-RateLimit-Reset`, as Jira and GitHub send it;
 * `RateLimit-Reset` of the IETF draft).
 */
export const defaultRateLimitDelay: RateLimitDelay = (headers, now) =>
  parseRetryAfter(headers['retry-after'], now) ??
  parseReset(headers['x-ratelimit-reset'], now) ??
  parseReset(headers['ratelimit-reset'], now);

/** Shortest time worth starting an attempt with, in ms. */
const MIN_ATTEMPT_MS = 50;

function classifyStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) {
    return ErrorCode.RELINK_NEEDED;
  }
  if (status === 404) {
    return ErrorCode.NOT_FOUND;
  }
  if (status === 429) {
    return ErrorCode.UPSTREAM_RATE_LIMITED;
  }
  return ErrorCode.UPSTREAM_UNAVAILABLE;
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * The one HTTP client under every connector: auth, keep-alive pooling, a
 * time bound per attempt, bounded retries of idempotent requests on network
 * errors, 5xx and 429 (waiting for `Retry-After` when the provider says how
 * long), and classification of every failure into a `ProviderError` with a
 * public code. Connectors never build auth headers or retry loops.
 */
export class ProviderClient {
  readonly provider: string;
  private readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly authHeader: string = 'authorization';
  private readonly tokenSource: BearerTokenSource | undefined;
  private readonly classifyError: ProviderClientOptions['classifyError'];
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterMs: number;
  private readonly circuit: Circuit | undefined;
  private readonly deadline: number | undefined;
  private readonly onCall: ((record: ProviderCallRecord) => void) | undefined;
  private readonly rateLimitDelayMs: RateLimitDelay | undefined;
  private readonly cache: ProviderResponseCache | undefined;

  constructor(options: ProviderClientOptions) {
    this.provider = options.provider;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
    this.circuit = options.circuit;
    this.deadline = options.deadline;
    this.onCall = options.onCall;
    this.rateLimitDelayMs = options.rateLimitDelayMs;
    this.classifyError = options.classifyError;
    this.cache = options.cache;
    const { auth } = options;
    switch (auth.type) {
      case 'basic':
        this.authorization = `Basic ${Buffer.from(
          `${auth.username}:${auth.password}`,
        ).toString('base64')}`;
        break;
      case 'bearer':
        if (isTokenSource(auth)) {
          this.tokenSource = auth;
        } else {
          this.authorization = `Bearer ${auth.token}`;
        }
        break;
      case 'header':
        this.authHeader = auth.name.toLowerCase();
        this.authorization = auth.value;
        break;
      case 'none':
        this.authorization = undefined;
        break;
    }
  }

  /** Sends the request and returns the parsed JSON body. */
  async json<T>(providerRequest: ProviderRequest): Promise<T> {
    return (await this.request<T>(providerRequest)).body;
  }

  /**
   * Sends the request, retrying as described on the class. Resolves with a
   * 2xx (or 207) response; rejects with a `ProviderError` otherwise. With a
   * cache, a read may be answered from it (see `cache`).
   */
  async request<T>(
    providerRequest: ProviderRequest,
  ): Promise<ProviderResponse<T>> {
    const method = providerRequest.method ?? 'GET';
    const read =
      method === 'GET' ||
      (method === 'POST' && providerRequest.idempotent === true);
    if (!this.cache) {
      return this.sendWithRetries(providerRequest, method);
    }
    if (read) {
      const { path, query, body } = providerRequest;
      return this.cache.fetch(
        {
          provider: this.provider,
          resource: providerRequest.route ?? method,
          request: { method, base: this.baseUrl, path, query, body },
        },
        () => this.sendWithRetries<T>(providerRequest, method),
      );
    }
    const response = await this.sendWithRetries<T>(providerRequest, method);
    await this.cache.invalidate();
    return response;
  }

  private async sendWithRetries<T>(
    providerRequest: ProviderRequest,
    method: HttpMethod,
  ): Promise<ProviderResponse<T>> {
    const hasIdempotencyKey = Object.keys(providerRequest.headers ?? {}).some(
      (name) => name.toLowerCase() === 'idempotency-key',
    );
    const retryable =
      method !== 'POST' && method !== 'PATCH'
        ? true
        : providerRequest.idempotent === true || hasIdempotencyKey;
    // The delay before the next attempt, decided together with whether to
    // retry at all: a retry that would outlive the request's budget is
    // not worth starting.
    let nextDelayMs = 0;
    let attempt = 0;
    const policy = retry(
      handleWhen((error) => {
        if (
          !retryable ||
          !(error instanceof ProviderError) ||
          !this.shouldRetry(error)
        ) {
          return false;
        }
        nextDelayMs =
          error.retryAfterMs ??
          // Exponential backoff with full jitter unless the provider said
          // how long to wait.
          Math.random() * RETRY_BASE_MS * 2 ** (attempt - 1);
        return (
          this.deadline === undefined ||
          Date.now() + nextDelayMs + MIN_ATTEMPT_MS < this.deadline
        );
      }),
      {
        maxAttempts: this.maxAttempts - 1,
        backoff: new DelegateBackoff(() => nextDelayMs),
      },
    );

    const startedAt = new Date();
    const started = performance.now();
    let status: number | undefined;
    const report = (errorCode: ErrorCode | undefined): void => {
      this.onCall?.({
        startedAt,
        provider: this.provider,
        method,
        route: providerRequest.route ?? 'unlabelled',
        status,
        errorCode,
        durationMs: Math.round(performance.now() - started),
        attempts: attempt,
      });
    };
    // The token the last attempt carried, for `onUnauthorized`.
    const sent = { token: '' };
    const once = () => {
      attempt += 1;
      return this.send<T>(providerRequest, method, attempt, sent, (code) => {
        status = code;
      });
    };
    const run = () =>
      policy.execute(() =>
        this.circuit ? this.circuit.policy.execute(once) : once(),
      );
    const onUnauthorized = this.tokenSource?.onUnauthorized;
    try {
      let response: ProviderResponse<T>;
      try {
        response = await run();
      } catch (error: unknown) {
        // An OAuth token the provider rejected is refreshed once, then the
        // request is sent once more; a second 401 is final.
        if (
          onUnauthorized &&
          error instanceof ProviderError &&
          error.status === 401 &&
          (await onUnauthorized(sent.token))
        ) {
          response = await run();
        } else {
          throw error;
        }
      }
      report(undefined);
      return response;
    } catch (error: unknown) {
      const failure = this.normalize(error);
      report(failure.code);
      throw failure;
    }
  }

  /** Turns a refusal of the circuit into the provider error callers expect. */
  private normalize(error: unknown): ProviderError {
    if (error instanceof ProviderError) {
      return error;
    }
    if (
      error instanceof BrokenCircuitError ||
      error instanceof IsolatedCircuitError
    ) {
      return new ProviderError(
        `${this.provider} is failing; calls are paused for a while.`,
        {
          code: this.circuit?.openCode ?? ErrorCode.UPSTREAM_UNAVAILABLE,
          provider: this.provider,
          cause: error,
        },
      );
    }
    return new ProviderError(`${this.provider} call failed.`, {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      provider: this.provider,
      cause: error,
    });
  }

  private shouldRetry(error: ProviderError): boolean {
    if (error.code === ErrorCode.UPSTREAM_RATE_LIMITED) {
      return (error.retryAfterMs ?? 0) <= this.maxRetryAfterMs;
    }
    if (error.code === ErrorCode.UPSTREAM_UNAVAILABLE) {
      return (
        error.status === undefined ||
        (error.status >= 500 &&
          (error.retryAfterMs ?? 0) <= this.maxRetryAfterMs)
      );
    }
    return false;
  }

  private url(providerRequest: ProviderRequest): string {
    const url = new URL(`${this.baseUrl}${providerRequest.path}`);
    for (const [name, value] of Object.entries(providerRequest.query ?? {})) {
      const values = Array.isArray(value) ? value : [value];
      for (const item of values) {
        if (item !== null && item !== undefined) {
          url.searchParams.append(name, String(item));
        }
      }
    }
    return url.toString();
  }

  private async send<T>(
    providerRequest: ProviderRequest,
    method: HttpMethod,
    attempt: number,
    sent: { token: string },
    answered: (status: number) => void,
  ): Promise<ProviderResponse<T>> {
    const route = providerRequest.route ?? 'unlabelled';
    const timeoutMs =
      this.deadline === undefined
        ? this.timeoutMs
        : Math.min(this.timeoutMs, this.deadline - Date.now());
    if (timeoutMs < MIN_ATTEMPT_MS) {
      throw new ProviderError(
        `${this.provider} was not called: the request's time budget is spent.`,
        { code: ErrorCode.UPSTREAM_TIMEOUT, provider: this.provider },
      );
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...providerRequest.headers,
    };
    if (this.tokenSource) {
      sent.token = await this.tokenSource.token();
      headers.authorization = `Bearer ${sent.token}`;
    } else if (this.authorization) {
      headers[this.authHeader] = this.authorization;
    }
    let body: string | undefined;
    if (providerRequest.form !== undefined) {
      body = new URLSearchParams(providerRequest.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (providerRequest.body !== undefined) {
      body = JSON.stringify(providerRequest.body);
      headers['content-type'] = 'application/json';
    }

    const started = performance.now();
    const finish = (status: string): number => {
      const seconds = (performance.now() - started) / 1000;
      providerRequests.inc({ provider: this.provider, status });
      providerRequestDuration.observe({ provider: this.provider }, seconds);
      this.logger.debug(
        {
          provider: this.provider,
          method,
          route,
          status,
          attempt,
          durationMs: Math.round(seconds * 1000),
        },
        'provider request',
      );
      return seconds;
    };

    let response;
    let text: string;
    try {
      response = await request(this.url(providerRequest), {
        method,
        headers,
        body,
        dispatcher: sharedAgent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.body.text();
    } catch (error: unknown) {
      const timedOut =
        (error instanceof Error && error.name === 'TimeoutError') ||
        error instanceof undiciErrors.HeadersTimeoutError ||
        error instanceof undiciErrors.BodyTimeoutError;
      finish(timedOut ? 'timeout' : 'network');
      throw new ProviderError(
        timedOut
          ? `${this.provider} did not answer within ${timeoutMs} ms.`
          : `${this.provider} could not be reached.`,
        {
          code: timedOut
            ? ErrorCode.UPSTREAM_TIMEOUT
            : ErrorCode.UPSTREAM_UNAVAILABLE,
          provider: this.provider,
          cause: error,
        },
      );
    }

    const status = response.statusCode;
    finish(String(status));
    answered(status);
    const responseHeaders = flattenHeaders(response.headers);
    if (status < 200 || status >= 300) {
      const specific = providerRequest.classifyError?.({
        status,
        headers: responseHeaders,
        body: parseJsonOrNull(text),
      });
      throw new ProviderError(
        `${this.provider} answered HTTP ${status} on ${method} ${route}.`,
        {
          code:
            specific?.code ??
            this.classifyError?.({
              status,
              body: text,
              headers: responseHeaders,
            }) ??
            classifyStatus(status),
          provider: this.provider,
          status,
          retryAfterMs:
            specific?.retryAfterMs ??
            parseRetryAfter(responseHeaders['retry-after']) ??
            (status === 429 || status === 503
              ? (this.rateLimitDelayMs ?? defaultRateLimitDelay)(
                  responseHeaders,
                  Date.now(),
                )
              : undefined),
        },
      );
    }
    if (text === '') {
      return { status, headers: responseHeaders, body: null as T };
    }
    try {
      return { status, headers: responseHeaders, body: JSON.parse(text) as T };
    } catch (error: unknown) {
      throw new ProviderError(
        `${this.provider} sent a response that is not JSON on ${method} ${route}.`,
        {
          code: ErrorCode.UPSTREAM_UNAVAILABLE,
          provider: this.provider,
          status,
          cause: error,
        },
      );
    }
  }
}

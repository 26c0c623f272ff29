/**
 * Fault injection for the sandbox providers: each provider can be told to
 * add latency, fail a share of calls with a chosen status, answer 429 with
 * `Retry-After`, reset connections, send malformed JSON or reject its
 * credentials as expired. Faults are set at start from `SANDBOX_FAULTS` (a
 * JSON array of fault specs) and at run time with `POST /__faults`; `GET
 * /__faults` lists the faults in force.
 *
 * A share (`rate`, 0 < rate ≤ 1) is applied deterministically, not at
 * random: with `rate: 0.5` every second call fails, so tests and benchmarks
 * see the same traffic every run.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { RequestRecorder } from './types';

/** The providers the sandbox plays, by their mount prefix. */
export const FAULT_PROVIDERS = [
  'bamboohr',
  'hibob',
  'personio',
  'hubspot',
  'salesforce',
  'pipedrive',
  'jira',
  'zendesk',
  'linear',
] as const;
export type FaultProvider = (typeof FAULT_PROVIDERS)[number];

const rate = z
  .number({ error: 'expected a share of calls between 0 and 1' })
  .gt(0, 'expected a share of calls above 0')
  .max(1, 'expected a share of calls of at most 1')
  .default(1);

/** One fault on one provider, as `POST /__faults` and `SANDBOX_FAULTS` take it. */
export const faultSpecSchema = z.discriminatedUnion(
  'fault',
  [
    z.object({ provider: z.enum(FAULT_PROVIDERS), fault: z.literal('none') }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('latency'),
      /** Added before the provider answers, in ms. */
      ms: z.number().int().min(0).max(120_000).default(1_000),
    }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('error'),
      status: z.number().int().min(400).max(599).default(500),
      rate,
    }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('rate-limit'),
      /** Sent as `Retry-After`, in whole seconds. */
      retryAfterSeconds: z.number().int().min(0).max(3_600).default(1),
      rate,
    }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('reset'),
      rate,
    }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('malformed'),
      rate,
    }),
    z.object({
      provider: z.enum(FAULT_PROVIDERS),
      fault: z.literal('expire-credentials'),
    }),
  ],
  {
    error:
      'expected a fault: none, latency, error, rate-limit, reset, malformed or expire-credentials',
  },
);

export type FaultSpec = z.output<typeof faultSpecSchema>;
/** A fault in force, without the provider it applies to. */
export type Fault = Exclude<FaultSpec, { fault: 'none' }>;

/** Reads `SANDBOX_FAULTS`; throws naming the variable when it is malformed. */
export function parseFaultSpecs(raw: string | undefined): FaultSpec[] {
  if (raw === undefined || raw.trim() === '') {
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(
      `SANDBOX_FAULTS: expected a JSON array of faults such as [{"provider":"hubspot","fault":"error","status":500}], received ${JSON.stringify(raw)}`,
    );
  }
  const parsed = z.array(faultSpecSchema).safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `SANDBOX_FAULTS: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/** The faults in force, one per provider at most. */
export class SandboxFaults {
  private readonly faults = new Map<FaultProvider, Fault>();
  private readonly calls = new Map<FaultProvider, number>();

  constructor(initial: readonly FaultSpec[] = []) {
    for (const spec of initial) {
      this.set(spec);
    }
  }

  /** Sets (or with `fault: 'none'` clears) the fault of one provider. */
  set(spec: FaultSpec): void {
    this.calls.delete(spec.provider);
    if (spec.fault === 'none') {
      this.faults.delete(spec.provider);
      return;
    }
    this.faults.set(spec.provider, spec);
  }

  clear(): void {
    this.faults.clear();
    this.calls.clear();
  }

  list(): Fault[] {
    return [...this.faults.values()];
  }

  get(provider: FaultProvider): Fault | undefined {
    return this.faults.get(provider);
  }

  /**
   * Whether this call of `provider` is one of the share that fails: the
   * n-th call fails when ⌊n·rate⌋ grows, so `rate: 1` fails every call and
   * `rate: 0.25` every fourth.
   */
  hits(provider: FaultProvider, share: number): boolean {
    const n = (this.calls.get(provider) ?? 0) + 1;
    this.calls.set(provider, n);
    return Math.floor(n * share) > Math.floor((n - 1) * share);
  }
}

function isFaultProvider(value: string): value is FaultProvider {
  return (FAULT_PROVIDERS as readonly string[]).includes(value);
}

/** A 401 in each provider's own shape, as when a token expired. */
function expired(provider: FaultProvider, response: Response): void {
  switch (provider) {
    case 'bamboohr':
      response
        .status(401)
        .set('X-BambooHR-Error-Message', 'API key missing or invalid.')
        .end();
      return;
    case 'hubspot':
      response.status(401).json({
        status: 'error',
        message: 'The OAuth token used to make this call expired.',
        correlationId: '00000000-0000-4000-8000-000000000000',
        category: 'EXPIRED_AUTHENTICATION',
      });
      return;
    case 'jira':
      response
        .status(401)
        .set('WWW-Authenticate', 'Basic realm="protected-area"')
        .type('text/plain')
        .send('Client must be authenticated to access this resource.');
      return;
    case 'hibob':
      response.status(401).json({ error: 'Unauthorized.' });
      return;
    case 'personio':
      response.status(401).json({
        success: false,
        error: {
          code: 0,
          message: 'The access token is missing, expired or revoked.',
        },
      });
      return;
    case 'salesforce':
      response.status(401).json([
        {
          message: 'Session expired or invalid',
          errorCode: 'INVALID_SESSION_ID',
        },
      ]);
      return;
    case 'pipedrive':
      response.status(401).json({
        success: false,
        error: 'unauthorized access',
        errorCode: 401,
      });
      return;
    case 'zendesk':
      response.status(401).json({ error: "Couldn't authenticate you" });
      return;
    case 'linear':
      // Linear's GraphQL API answers authentication errors with HTTP 400
      // and the code in the error's extensions.
      response.status(400).json({
        errors: [
          {
            message: 'Authentication required, not authenticated',
            extensions: {
              type: 'authentication error',
              code: 'AUTHENTICATION_ERROR',
              statusCode: 401,
              userError: true,
              userPresentableMessage:
                'Authentication required, not authenticated',
            },
          },
        ],
      });
      return;
  }
}

/**
 * The `/__faults` endpoints and the middleware that applies faults to
 * `/<provider>/…` requests. Mount it on the sandbox app before the
 * providers. A request a fault answers never reaches its provider, so it
 * is recorded here, as the provider would have recorded it.
 */
export function createFaultsRouter(
  faults: SandboxFaults,
  recorder: RequestRecorder,
): Router {
  const router = express.Router();

  router.get('/__faults', (_request, response) => {
    response.json({ faults: faults.list() });
  });
  router.post('/__faults', express.json(), (request, response) => {
    const parsed = faultSpecSchema.safeParse(request.body);
    if (!parsed.success) {
      response.status(400).json({
        error: parsed.error.issues
          .map((issue) =>
            issue.path.length > 0
              ? `${issue.path.join('.')}: ${issue.message}`
              : issue.message,
          )
          .join('; '),
      });
      return;
    }
    faults.set(parsed.data);
    response.json({ faults: faults.list() });
  });
  router.delete('/__faults', (_request, response) => {
    faults.clear();
    response.json({ faults: [] });
  });

  router.use((request: Request, response: Response, next) => {
    const prefix = request.path.split('/')[1] ?? '';
    const fault = isFaultProvider(prefix) ? faults.get(prefix) : undefined;
    if (!fault || !isFaultProvider(prefix)) {
      next();
      return;
    }
    const answered = (): void => {
      recorder.record({
        provider: prefix,
        method: request.method,
        path: request.path.slice(prefix.length + 1),
        query: { ...request.query },
        body: null,
        at: Date.now(),
      });
    };
    switch (fault.fault) {
      case 'latency':
        setTimeout(next, fault.ms);
        return;
      case 'expire-credentials':
        answered();
        expired(prefix, response);
        return;
      case 'error':
        if (!faults.hits(prefix, fault.rate)) {
          next();
          return;
        }
        answered();
        response
          .status(fault.status)
          .json({ message: `Sandbox fault: HTTP ${fault.status}.` });
        return;
      case 'rate-limit':
        if (!faults.hits(prefix, fault.rate)) {
          next();
          return;
        }
        answered();
        response
          .status(429)
          .set('Retry-After', String(fault.retryAfterSeconds))
          .json({ message: 'Sandbox fault: rate limited.' });
        return;
      case 'reset':
        if (!faults.hits(prefix, fault.rate)) {
          next();
          return;
        }
        answered();
        // Drops the TCP connection without an answer, as a crashed load
        // balancer would.
        request.socket.destroy();
        return;
      case 'malformed':
        if (!faults.hits(prefix, fault.rate)) {
          next();
          return;
        }
        answered();
        response
          .status(200)
          .type('application/json')
          .send('{"results": [{"id": "1", "properties": ');
        return;
    }
  });
  return router;
}

import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { ErrorCode, ProviderError } from './errors';

/**
 * A circuit's state as admins and logs see it. `open` names when calls
 * may be tried again; `half-open` lets one trial call through, whose
 * outcome closes or reopens the circuit.
 */
export type CircuitStatus =
  | { state: 'closed' }
  | { state: 'open'; openedAt: Date; halfOpenAt: Date; code: ErrorCode }
  | { state: 'half-open' }
  | { state: 'isolated' };

export interface CircuitOptions {
  /** Consecutive failed attempts that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before a trial, in ms. Default 30_000. */
  halfOpenAfterMs?: number;
}

/**
 * Whether a failure says the provider itself is unwell (and so counts
 * toward opening its circuit): 5xx, network failures, timeouts, malformed
 * answers and 429s. A 401 or 404 says nothing about the provider's health.
 */
export function isProviderFault(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    (error.code === ErrorCode.UPSTREAM_UNAVAILABLE ||
      error.code === ErrorCode.UPSTREAM_TIMEOUT ||
      error.code === ErrorCode.UPSTREAM_RATE_LIMITED)
  );
}

/** One circuit: a cockatiel breaker plus when and why it last opened. */
export class Circuit {
  readonly policy: CircuitBreakerPolicy;
  private opened: { at: Date; code: ErrorCode } | undefined;

  constructor(private readonly options: Required<CircuitOptions>) {
    this.policy = circuitBreaker(handleWhen(isProviderFault), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    });
    this.policy.onBreak((reason) => {
      const error = 'error' in reason ? reason.error : undefined;
      this.opened = {
        at: new Date(),
        code:
          error instanceof ProviderError
            ? error.code
            : ErrorCode.UPSTREAM_UNAVAILABLE,
      };
    });
  }

  /** The code a call refused by the open circuit answers with. */
  get openCode(): ErrorCode {
    return this.opened?.code ?? ErrorCode.UPSTREAM_UNAVAILABLE;
  }

  status(): CircuitStatus {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return { state: 'closed' };
      case CircuitState.HalfOpen:
        return { state: 'half-open' };
      case CircuitState.Isolated:
        return { state: 'isolated' };
      case CircuitState.Open: {
        const openedAt = this.opened?.at ?? new Date();
        return {
          state: 'open',
          openedAt,
          halfOpenAt: new Date(
            openedAt.getTime() + this.options.halfOpenAfterMs,
          ),
          code: this.openCode,
        };
      }
    }
  }
}

/**
 * The circuits of one process, one per provider and linked account: a
 * failing account of one customer never blocks another's, and every
 * request of the same account shares one circuit.
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly options: Required<CircuitOptions>;

  constructor(options: CircuitOptions = {}) {
    this.options = {
      failureThreshold: options.failureThreshold ?? 5,
      halfOpenAfterMs: options.halfOpenAfterMs ?? 30_000,
    };
  }

  /** The circuit of `provider` for `linkedAccountId`, created closed. */
  for(provider: string, linkedAccountId: string): Circuit {
    const key = `${provider}:${linkedAccountId}`;
    let circuit = this.circuits.get(key);
    if (!circuit) {
      circuit = new Circuit(this.options);
      this.circuits.set(key, circuit);
    }
    return circuit;
  }

  /** The state of a circuit, `closed` for one never used. */
  status(provider: string, linkedAccountId: string): CircuitStatus {
    return (
      this.circuits.get(`${provider}:${linkedAccountId}`)?.status() ?? {
        state: 'closed',
      }
    );
  }
}

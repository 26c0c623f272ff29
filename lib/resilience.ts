import type { Kysely } from 'kysely';
import { CircuitBreakers } from './circuit';
import type { Config } from './config';
import type { ProviderClientOptions } from './http';
import { IntegrationMonitor } from './integration-issues';
import type { Logger } from './logger';
import { ProviderLogWriter } from './provider-logs';
import type { Database } from './store/schema';
import type { LinkedAccount } from './store/store';

export type ResilienceConfig = Pick<
  Config,
  | 'requestBudgetMs'
  | 'circuitFailureThreshold'
  | 'circuitHalfOpenAfterMs'
  | 'providerLogRetentionDays'
  | 'integrationIssueThreshold'
  | 'relinkProbeIntervalMs'
>;

/**
 * What is left of the GraphQL request's time budget when the gateway calls
 * a subgraph, in ms: the subgraph's provider calls end by then, however
 * late in the query plan the subgraph is called.
 */
export const BUDGET_HEADER = 'x-tributary-budget-ms';

/**
 * The deadline of a subgraph request: its own budget, shortened to what
 * the gateway says is left (`x-tributary-budget-ms`) when it says so.
 */
export function requestDeadline(
  budgetMs: number,
  offered: string | undefined,
  now = Date.now(),
): number {
  const left = offered === undefined ? Number.NaN : Number(offered);
  return (
    now +
    (Number.isFinite(left) && left >= 0 ? Math.min(budgetMs, left) : budgetMs)
  );
}

/** Who a provider call is made for, in one GraphQL request. */
export interface CallOwner {
  account: LinkedAccount;
  requestId: string | undefined;
  /** Epoch ms by which the request's provider calls must be done. */
  deadline: number;
}

/**
 * What a subgraph process keeps across requests for its provider calls:
 * the circuit of every provider and linked account, the request-log
 * writer and the integration-issue monitor. `clientOptions` gives a
 * `ProviderClient` of one request all three, plus the request's deadline.
 */
export class ProviderResilience {
  readonly circuits: CircuitBreakers;
  readonly logs: ProviderLogWriter;
  readonly monitor: IntegrationMonitor;
  readonly requestBudgetMs: number;

  constructor(options: {
    db: Kysely<Database>;
    logger: Logger;
    config: ResilienceConfig;
  }) {
    const { config } = options;
    this.requestBudgetMs = config.requestBudgetMs;
    this.circuits = new CircuitBreakers({
      failureThreshold: config.circuitFailureThreshold,
      halfOpenAfterMs: config.circuitHalfOpenAfterMs,
    });
    this.logs = new ProviderLogWriter({
      db: options.db,
      logger: options.logger,
      retentionDays: config.providerLogRetentionDays,
    });
    this.monitor = new IntegrationMonitor({
      db: options.db,
      logger: options.logger,
      threshold: config.integrationIssueThreshold,
      probeIntervalMs: config.relinkProbeIntervalMs,
    });
  }

  /** Circuit, deadline and call hooks for the clients of one request. */
  clientOptions(
    owner: CallOwner,
  ): Pick<ProviderClientOptions, 'circuit' | 'deadline' | 'onCall'> {
    const { account } = owner;
    return {
      circuit: this.circuits.for(account.provider, account.id),
      deadline: owner.deadline,
      onCall: (call) => {
        this.logs.record(
          {
            tenantId: account.tenantId,
            organizationId: account.organizationId,
            linkedAccountId: account.id,
            category: account.category,
            requestId: owner.requestId,
          },
          call,
        );
        this.monitor.observe(account, call);
      },
    };
  }

  /** Writes what is pending (logs, issues) and stops the timers. */
  async close(): Promise<void> {
    await this.logs.close();
    await this.monitor.settled();
  }
}

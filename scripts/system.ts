import { readFileSync } from 'node:fs';
import { createGateway } from '../gateway/server';
import type { Category } from '../lib/categories';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createCacheStore, type CacheStore } from '../lib/cache';
import { ensureSandboxTenants, type SandboxLocation } from '../lib/sandbox';
import { listen, type Listening } from '../lib/serve';
import { Store } from '../lib/store/store';
import {
  createSubgraphApp,
  type SubgraphApp,
  type SubgraphDefinition,
} from '../lib/subgraph';
import { parseFaultSpecs } from '../sandbox/faults';
import { createSandbox } from '../sandbox/server';
import type { RequestRecorder, SandboxOrganization } from '../sandbox/types';
import { crmSubgraph } from '../subgraphs/crm/subgraph';
import { hrisSubgraph } from '../subgraphs/hris/subgraph';
import { ticketingSubgraph } from '../subgraphs/ticketing/subgraph';

export interface SystemOptions {
  config: Config;
  logger: Logger;
  /** Sandbox organizations; default `acme` and `other`. */
  organizations?: readonly SandboxOrganization[];
  /** Listen on port 0 everywhere instead of the configured ports. */
  anyPorts?: boolean;
  /** An already-open store to use instead of opening one from config. */
  store?: Store;
  /**
   * Sandbox providers already running elsewhere (another process), used
   * instead of starting them in this one; `recorder` is then undefined.
   */
  externalSandboxUrl?: string;
  /**
   * Providers answering on servers of their own, by provider (each in its
   * own process, as real providers' servers are): their linked accounts
   * point there instead of at the sandbox URL.
   */
  externalProviderUrls?: SandboxLocation['providerUrls'];
}

export interface RunningSystem {
  gatewayUrl: string;
  sandboxUrl: string | undefined;
  subgraphUrls: Record<Category, string>;
  store: Store;
  recorder: RequestRecorder | undefined;
  /** The process's cross-request cache store (lib/cache.ts). */
  cache: CacheStore;
  stop(): Promise<void>;
}

const SUBGRAPHS: Array<SubgraphDefinition<unknown>> = [
  hrisSubgraph as SubgraphDefinition<unknown>,
  crmSubgraph as SubgraphDefinition<unknown>,
  ticketingSubgraph as SubgraphDefinition<unknown>,
];

/**
 * Starts the whole system in one process: the sandbox providers (when the
 * sandbox is on), the three subgraphs and the gateway, each on its own HTTP
 * server. `npm start` and the integration tests both use it.
 */
export async function startSystem(
  options: SystemOptions,
): Promise<RunningSystem> {
  const { config, logger } = options;
  const host = config.host;
  const servers: Listening[] = [];
  const subgraphApps: SubgraphApp[] = [];

  let sandboxUrl = options.externalSandboxUrl;
  let recorder: RequestRecorder | undefined;
  if (config.sandboxEnabled && !sandboxUrl) {
    const sandbox = createSandbox({
      ...(options.organizations
        ? { organizations: options.organizations }
        : {}),
      latencyMs: config.sandboxLatencyMs,
      faults: parseFaultSpecs(config.sandboxFaults),
    });
    const listening = await listen(sandbox.app, {
      port: options.anyPorts ? 0 : config.sandboxPort,
      host,
    });
    servers.push(listening);
    sandboxUrl = listening.origin;
    recorder = sandbox.recorder;
  }

  const ownsStore = !options.store;
  const store =
    options.store ??
    (await Store.open({
      databaseUrl: config.databaseUrl,
      sqlitePath: config.sqlitePath,
      sandboxEnabled: config.sandboxEnabled,
      encryptionKeys: config.encryptionKeys,
      logger,
    }));
  if (sandboxUrl) {
    await ensureSandboxTenants(store, {
      sandboxUrl,
      ...(options.externalProviderUrls
        ? { providerUrls: options.externalProviderUrls }
        : {}),
      logger,
    });
  }

  const cache = createCacheStore(config, logger);
  const subgraphUrls = {} as Record<Category, string>;
  for (const definition of SUBGRAPHS) {
    const subgraph = await createSubgraphApp(definition, {
      store,
      config,
      logger: logger.child({ component: definition.category }),
      cache,
    });
    subgraphApps.push(subgraph);
    const listening = await listen(subgraph.app, {
      port: options.anyPorts ? 0 : config.subgraphPorts[definition.category],
      host,
    });
    servers.push(listening);
    subgraphUrls[definition.category] = `${listening.origin}/graphql`;
  }

  const gateway = await createGateway({
    config,
    store,
    logger: logger.child({ component: 'gateway' }),
    supergraphSdl: readFileSync(
      new URL('../schema/supergraph.graphql', import.meta.url),
      'utf8',
    ),
    subgraphUrls: { ...subgraphUrls, ...config.subgraphUrls },
    cache,
  });
  const gatewayListening = await listen(gateway.app, {
    port: options.anyPorts ? 0 : config.gatewayPort,
    host,
  });
  servers.push(gatewayListening);

  return {
    gatewayUrl: `${gatewayListening.origin}/graphql`,
    sandboxUrl,
    subgraphUrls,
    store,
    recorder,
    cache,
    async stop() {
      for (const server of servers.reverse()) {
        await server.close();
      }
      await gateway.stop();
      for (const subgraph of subgraphApps) {
        await subgraph.stop();
      }
      if (ownsStore) {
        await store.close();
      }
      await cache.close();
    },
  };
}

import { readFileSync } from 'node:fs';
import { createCacheStore } from '../lib/cache';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { ensureSandboxTenants } from '../lib/sandbox';
import { listen } from '../lib/serve';
import { Store } from '../lib/store/store';
import { createGateway } from './server';

// The gateway as its own process, as production runs it.
const config = loadConfig();
const logger = createLogger({
  name: 'gateway',
  ...(config.logLevel ? { level: config.logLevel } : {}),
});
const store = await Store.open({
  databaseUrl: config.databaseUrl,
  sqlitePath: config.sqlitePath,
  sandboxEnabled: config.sandboxEnabled,
  encryptionKeys: config.encryptionKeys,
  logger,
});
if (config.sandboxEnabled) {
  await ensureSandboxTenants(store, { sandboxUrl: config.sandboxUrl, logger });
}
const cache = createCacheStore(config, logger);
const gateway = await createGateway({
  config,
  cache,
  store,
  logger,
  supergraphSdl: readFileSync(
    new URL('../schema/supergraph.graphql', import.meta.url),
    'utf8',
  ),
  subgraphUrls: config.subgraphUrls,
});
const listening = await listen(gateway.app, {
  port: config.gatewayPort,
  host: config.host,
});
logger.info({ url: `${listening.origin}/graphql` }, 'gateway ready');

const shutdown = async () => {
  await listening.close();
  await gateway.stop();
  await store.close();
  await cache.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());

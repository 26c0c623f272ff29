import { readFileSync } from 'node:fs';
import { createGateway } from '../../gateway/server';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { listen } from '../../lib/serve';
import type { RunningSystem } from './system';

/**
 * Another gateway replica over a running system's store and subgraphs, on
 * port 0, configured from `env` (as the replica's own environment would).
 */
export async function startGatewayReplica(
  system: RunningSystem,
  env: Record<string, string>,
  options: { rateLimitKeyPrefix?: string } = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    TRIBUTARY_DB_PATH: ':memory:',
    ...env,
  });
  const gateway = await createGateway({
    config,
    store: system.store,
    logger: createLogger({
      name: 'replica',
      level: process.env.LOG_LEVEL ?? 'silent',
    }),
    supergraphSdl: readFileSync(
      new URL('../../schema/supergraph.graphql', import.meta.url),
      'utf8',
    ),
    subgraphUrls: system.subgraphUrls,
    ...options,
  });
  const listening = await listen(gateway.app, { port: 0, host: '127.0.0.1' });
  return {
    url: `${listening.origin}/graphql`,
    async stop() {
      await listening.close();
      await gateway.stop();
    },
  };
}

export const TEST_REDIS_URL =
  process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

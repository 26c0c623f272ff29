import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startSandboxProcess, type SandboxProcess } from '../sandbox/process';
import {
  startSystem,
  type RunningSystem,
  type SystemOptions,
} from '../scripts/system';
import { SANDBOX, graphql } from './support/system';

/** The system against sandbox processes started elsewhere; no data cache. */
function startAgainst(
  sandboxUrl: string,
  providerUrls?: SystemOptions['externalProviderUrls'],
): Promise<RunningSystem> {
  return startSystem({
    config: loadConfig({
      NODE_ENV: 'test',
      TRIBUTARY_DB_PATH: ':memory:',
      CACHE_TTL_SECONDS: '0',
    }),
    logger: createLogger({ name: 'test', level: 'silent' }),
    anyPorts: true,
    externalSandboxUrl: sandboxUrl,
    ...(providerUrls ? { externalProviderUrls: providerUrls } : {}),
  });
}

// `npm run bench` runs the providers in child processes and the system
// against them; the recorder it counts provider calls with is fed over IPC,
// between queries.
describe('the sandbox providers in a process of their own', () => {
  let sandbox: SandboxProcess;
  let system: RunningSystem;

  beforeAll(async () => {
    sandbox = await startSandboxProcess({ latencyMs: 0 });
    system = await startAgainst(sandbox.origin);
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
    await sandbox?.stop();
  });

  it('serves the system, and every provider call reaches the recorder', async () => {
    expect(system.recorder).toBeUndefined();
    expect(system.sandboxUrl).toBe(sandbox.origin);
    sandbox.recorder.clear();

    const response = await graphql<{
      employees: { edges: Array<{ node: { id: string } }> };
    }>(
      system.gatewayUrl,
      '{ employees(first: 3) { edges { node { id } } } }',
      SANDBOX,
    );

    expect(response.errors).toBeUndefined();
    expect(response.data?.employees.edges).toHaveLength(3);
    // Records stay in the child until asked for: none crossed over while
    // the query ran.
    expect(sandbox.recorder.requests).toEqual([]);
    // A request is recorded before its answer is sent, so a flush after
    // the gateway has answered brings it over.
    await sandbox.flush();
    expect(
      sandbox.recorder.requests.map(({ provider, method }) => ({
        provider,
        method,
      })),
    ).toEqual([{ provider: 'bamboohr', method: 'GET' }]);
  });

  it('serves a provider from a process of its own when told its URL', async () => {
    const hubspot = await startSandboxProcess({ latencyMs: 0 });
    const split = await startAgainst(sandbox.origin, {
      hubspot: hubspot.origin,
    });
    try {
      await sandbox.flush();
      sandbox.recorder.clear();
      const response = await graphql<{
        employees: {
          edges: Array<{
            node: { ownedOpportunities: { edges: unknown[] } | null };
          }>;
        };
      }>(
        split.gatewayUrl,
        '{ employees(first: 3) { edges { node { ownedOpportunities(first: 1) { edges { node { id } } } } } } }',
        SANDBOX,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.employees.edges).toHaveLength(3);
      await Promise.all([sandbox.flush(), hubspot.flush()]);
      const providers = (process: SandboxProcess) => [
        ...new Set(process.recorder.requests.map((r) => r.provider)),
      ];
      expect(providers(sandbox)).toEqual(['bamboohr']);
      expect(providers(hubspot)).toEqual(['hubspot']);
    } finally {
      await split.stop();
      await hubspot.stop();
    }
  }, 60_000);

  it('stops the child process', async () => {
    const other = await startSandboxProcess({ latencyMs: 0 });
    await other.stop();
    await expect(fetch(`${other.origin}/health`)).rejects.toThrow();
  }, 60_000);
});

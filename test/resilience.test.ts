import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Circuit, CircuitBreakers } from '../lib/circuit';
import { ErrorCode, ProviderError } from '../lib/errors';
import {
  ProviderClient,
  defaultRateLimitDelay,
  type ProviderCallRecord,
} from '../lib/http';
import { createLogger } from '../lib/logger';
import { requestDeadline } from '../lib/resilience';
import { listen, type Listening } from '../lib/serve';
import type { FaultSpec } from '../sandbox/faults';
import { createSandbox, type Sandbox } from '../sandbox/server';
import { SANDBOX, graphql, startTestSystem } from './support/system';

const logger = createLogger({ name: 'test', level: 'silent' });
let sandbox: Sandbox;
let listening: Listening;

beforeAll(async () => {
  sandbox = createSandbox();
  listening = await listen(sandbox.app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await listening?.close();
});

afterEach(() => {
  sandbox.faults.clear();
  sandbox.recorder.clear();
});

function hubspot(
  options: Partial<ConstructorParameters<typeof ProviderClient>[0]> = {},
): ProviderClient {
  return new ProviderClient({
    provider: 'hubspot',
    baseUrl: `${listening.origin}/hubspot`,
    auth: { type: 'bearer', token: 'pat-sandbox-acme' },
    logger,
    ...options,
  });
}

function fault(spec: FaultSpec): void {
  sandbox.faults.set(spec);
}

const owners = { path: '/crm/v3/owners', route: '/crm/v3/owners' };

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the circuit of a provider and linked account', () => {
  it('opens after repeated failures, refuses calls without sending them, and half-opens later', async () => {
    const circuits = new CircuitBreakers({
      failureThreshold: 3,
      halfOpenAfterMs: 200,
    });
    const circuit = circuits.for('hubspot', 'account-1');
    const client = hubspot({ circuit, maxAttempts: 3 });
    fault({ provider: 'hubspot', fault: 'error', status: 500, rate: 1 });

    // Three attempts of one call: three consecutive failures.
    const first = await failure(client.request(owners));
    expect(first.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(sandbox.recorder.of('hubspot')).toHaveLength(3);
    expect(circuits.status('hubspot', 'account-1')).toMatchObject({
      state: 'open',
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
    });

    // Open: refused at once, the provider sees nothing.
    const refused = await failure(client.request(owners));
    expect(refused.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(refused.message).toMatch(/paused/);
    expect(sandbox.recorder.of('hubspot')).toHaveLength(3);

    // Another linked account of the same provider is unaffected.
    expect(circuits.status('hubspot', 'account-2')).toEqual({
      state: 'closed',
    });

    // After halfOpenAfterMs one trial call goes through and closes it.
    sandbox.faults.clear();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(client.json(owners)).resolves.toMatchObject({
      results: expect.any(Array) as unknown,
    });
    expect(circuits.status('hubspot', 'account-1')).toEqual({
      state: 'closed',
    });
  });

  it('reopens when the half-open trial fails', async () => {
    const circuit = new Circuit({ failureThreshold: 1, halfOpenAfterMs: 100 });
    const client = hubspot({ circuit, maxAttempts: 1 });
    fault({ provider: 'hubspot', fault: 'error', status: 502, rate: 1 });
    await failure(client.request(owners));
    expect(circuit.status().state).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await failure(client.request(owners));
    expect(sandbox.recorder.of('hubspot')).toHaveLength(2);
    expect(circuit.status().state).toBe('open');
  });

  it('ignores 401s and 404s, which say nothing of the provider’s health', async () => {
    const circuit = new Circuit({
      failureThreshold: 1,
      halfOpenAfterMs: 60_000,
    });
    const client = hubspot({ circuit });
    fault({ provider: 'hubspot', fault: 'expire-credentials' });
    expect((await failure(client.request(owners))).code).toBe(
      ErrorCode.RELINK_NEEDED,
    );
    expect(circuit.status()).toEqual({ state: 'closed' });
  });
});

describe('retries', () => {
  it('waits for Retry-After before retrying a 429', async () => {
    // Every second call is rate-limited: the first passes, the second gets
    // 429 with Retry-After: 1 and is retried.
    fault({
      provider: 'hubspot',
      fault: 'rate-limit',
      retryAfterSeconds: 1,
      rate: 0.5,
    });
    const client = hubspot();
    await client.json(owners);
    await client.json(owners);
    const calls = sandbox.recorder.of('hubspot');
    expect(calls).toHaveLength(3);
    const waited = (calls[2]?.at ?? 0) - (calls[1]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
  });

  it('retries a POST that carries an Idempotency-Key, and not one without', async () => {
    fault({ provider: 'hubspot', fault: 'error', status: 503, rate: 1 });
    const client = hubspot({ maxAttempts: 3 });
    const search = {
      method: 'POST' as const,
      path: '/crm/v3/objects/deals/search',
      route: '/crm/v3/objects/deals/search',
      body: {},
    };
    await failure(client.request(search));
    expect(sandbox.recorder.of('hubspot')).toHaveLength(1);
    sandbox.recorder.clear();
    await failure(
      client.request({ ...search, headers: { 'Idempotency-Key': 'k-1' } }),
    );
    expect(sandbox.recorder.of('hubspot')).toHaveLength(3);
  });

  it('never retries past the request’s deadline', async () => {
    fault({
      provider: 'hubspot',
      fault: 'rate-limit',
      retryAfterSeconds: 4,
      rate: 1,
    });
    const client = hubspot({ deadline: Date.now() + 2_500 });
    const error = await failure(client.request(owners));
    expect(error.code).toBe(ErrorCode.UPSTREAM_RATE_LIMITED);
    expect(sandbox.recorder.of('hubspot')).toHaveLength(1);
  });

  it('shrinks the attempt timeout to what is left of the budget', async () => {
    fault({ provider: 'hubspot', fault: 'latency', ms: 2_000 });
    const client = hubspot({ timeoutMs: 10_000, deadline: Date.now() + 300 });
    const error = await failure(client.request(owners));
    expect(error.code).toBe(ErrorCode.UPSTREAM_TIMEOUT);
  });

  it('does not call at all once the budget is spent', async () => {
    const client = hubspot({ deadline: Date.now() - 1 });
    const error = await failure(client.request(owners));
    expect(error.code).toBe(ErrorCode.UPSTREAM_TIMEOUT);
    expect(sandbox.recorder.of('hubspot')).toHaveLength(0);
  });
});

describe('rate-limit headers', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('reads Retry-After first, then X-RateLimit-Reset as seconds, epoch seconds or a date', () => {
    expect(defaultRateLimitDelay({ 'retry-after': '2' }, now)).toBe(2_000);
    expect(defaultRateLimitDelay({ 'x-ratelimit-reset': '3' }, now)).toBe(
      3_000,
    );
    expect(
      defaultRateLimitDelay(
        { 'x-ratelimit-reset': String(now / 1000 + 4) },
        now,
      ),
    ).toBe(4_000);
    expect(
      defaultRateLimitDelay(
        { 'x-ratelimit-reset': '2026-12-01T10:00:05Z' },
        now,
      ),
    ).toBe(5_000);
    expect(defaultRateLimitDelay({ 'ratelimit-reset': '6' }, now)).toBe(6_000);
    expect(defaultRateLimitDelay({}, now)).toBeUndefined();
  });
});

describe('call records', () => {
  it('reports each call once, after its last attempt, with no concrete path', async () => {
    fault({ provider: 'hubspot', fault: 'error', status: 500, rate: 1 });
    const records: ProviderCallRecord[] = [];
    const client = hubspot({ onCall: (record) => records.push(record) });
    await failure(
      client.request({
        path: '/crm/v3/owners/41000101',
        route: '/crm/v3/owners/{ownerId}',
      }),
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      provider: 'hubspot',
      method: 'GET',
      route: '/crm/v3/owners/{ownerId}',
      status: 500,
      errorCode: ErrorCode.UPSTREAM_UNAVAILABLE,
      attempts: 3,
    });
  });
});

describe('the time budget of a GraphQL request', () => {
  it('takes the shorter of its own budget and what the gateway says is left', () => {
    expect(requestDeadline(20_000, undefined, 1_000)).toBe(21_000);
    expect(requestDeadline(20_000, '500', 1_000)).toBe(1_500);
    expect(requestDeadline(20_000, '90000', 1_000)).toBe(21_000);
    expect(requestDeadline(20_000, 'soon', 1_000)).toBe(21_000);
  });

  it('ends a slow provider call when the request’s budget is spent, not when the provider timeout is', async () => {
    const system = await startTestSystem({
      REQUEST_BUDGET_MS: '800',
      PROVIDER_TIMEOUT_MS: '10000',
    });
    try {
      await fetch(`${system.sandboxUrl}/__faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: 'hubspot',
          fault: 'latency',
          ms: 5_000,
        }),
      });
      const response = await graphql<{ opportunities: unknown }>(
        system.gatewayUrl,
        '{ opportunities(first: 1) { edges { node { id } } } }',
        SANDBOX,
      );
      expect(response.data?.opportunities).toBeNull();
      expect(response.errors?.[0]?.extensions).toMatchObject({
        code: ErrorCode.UPSTREAM_TIMEOUT,
        provider: 'hubspot',
        category: 'crm',
      });
    } finally {
      await system.stop();
    }
  });
});

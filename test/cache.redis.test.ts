import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createClient } from '@keyv/redis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SANDBOX,
  graphql,
  startTestSystem,
  type RunningSystem,
} from './support/system';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const FLAGSHIP_50 = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
).replace('employees(first: 5)', 'employees(first: 50)');

/** Keys under `prefix`, found with SCAN (never KEYS, never FLUSH*). */
async function keysUnder(prefix: string): Promise<string[]> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({
      MATCH: `${prefix}:*`,
      COUNT: 500,
    })) {
      keys.push(...batch);
    }
    return keys;
  } finally {
    client.destroy();
  }
}

async function deleteKeysUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length === 0) return;
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    await client.del(keys);
  } finally {
    client.destroy();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('no port');
  }
  return address.port;
}

/** A private redis-server of this test on a free port, no persistence. */
async function startPrivateRedis(): Promise<{
  child: ChildProcess;
  url: string;
}> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('redis-server did not start')),
      5_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error('redis-server exited')));
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}

describe('the cache on Redis', () => {
  const prefix = `tributary-test-${randomUUID()}`;
  const systems: RunningSystem[] = [];

  afterAll(async () => {
    for (const system of systems) {
      await system.stop();
    }
    await deleteKeysUnder(prefix);
  });

  it('keeps provider data and query plans in Redis under its own prefix', async () => {
    const env = {
      REDIS_URL,
      CACHE_KEY_PREFIX: prefix,
      CACHE_TTL_SECONDS: '300',
    };
    const system = await startTestSystem(env);
    systems.push(system);
    const first = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(first.errors).toBeUndefined();

    system.recorder?.clear();
    const repeat = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(repeat.data).toEqual(first.data);
    expect(system.recorder?.requests).toHaveLength(0);

    const keys = await keysUnder(prefix);
    expect(keys.some((key) => key.startsWith(`${prefix}:data:`))).toBe(true);
    expect(keys.some((key) => key.startsWith(`${prefix}:plans:`))).toBe(true);
    // Provider data keys name the tenant and the linked account.
    expect(
      keys.some((key) => key.startsWith(`${prefix}:data:tenant_sandbox:`)),
    ).toBe(true);

    // A second gateway process plans nothing: it reads the stored plan,
    // and the plan read back from Redis still executes correctly.
    const second = await startTestSystem(env);
    systems.push(second);
    const answer = await graphql(second.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual(first.data);
  });
});

describe('a Redis that dies while the system runs', () => {
  let redis: ChildProcess | undefined;
  let system: RunningSystem | undefined;

  afterAll(async () => {
    await system?.stop();
    if (redis?.pid && redis.exitCode === null && redis.signalCode === null) {
      process.kill(redis.pid, 'SIGKILL');
    }
  });

  it('keeps answering correctly from the providers, without hanging', async () => {
    const started = await startPrivateRedis();
    redis = started.child;
    system = await startTestSystem({
      REDIS_URL: started.url,
      CACHE_KEY_PREFIX: `tributary-test-${randomUUID()}`,
      CACHE_TTL_SECONDS: '300',
      CACHE_TIMEOUT_MS: '200',
    });
    const first = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(first.errors).toBeUndefined();
    system.recorder?.clear();
    await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
    expect(system.recorder?.requests).toHaveLength(0);

    // Kill it by its pid and wait until it is gone.
    const exited = new Promise((resolve) => redis?.once('exit', resolve));
    if (redis.pid) process.kill(redis.pid, 'SIGKILL');
    await exited;

    for (let attempt = 0; attempt < 3; attempt += 1) {
      system.recorder?.clear();
      const answer = await graphql(system.gatewayUrl, FLAGSHIP_50, SANDBOX);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(first.data);
      // Every read was a miss: the providers answered.
      expect(system.recorder?.requests.length).toBeGreaterThan(0);
    }
    const metrics = await (
      await fetch(system.gatewayUrl.replace(/\/graphql$/, '/metrics'))
    ).text();
    expect(metrics).toMatch(/tributary_cache_errors_total\{[^}]*\} [1-9]/);
  });
});

import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../lib/errors';
import { ProviderClient, type ProviderAuth } from '../lib/http';
import { createLogger } from '../lib/logger';
import { listen, type Listening } from '../lib/serve';

/**
 * A provider that accepts one bearer token (`valid`) and records what each
 * request carried.
 */
let valid = 'token-2';
const received: Array<{
  authorization?: string;
  apiToken?: string;
  contentType?: string;
  body: unknown;
}> = [];
let server: Listening;

beforeAll(async () => {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use((request, response) => {
    received.push({
      authorization: request.header('authorization'),
      apiToken: request.header('x-api-token'),
      contentType: request.header('content-type'),
      body: request.body as unknown,
    });
    const bearer = request.header('authorization');
    if (bearer !== undefined && bearer !== `Bearer ${valid}`) {
      response.status(401).json([{ errorCode: 'INVALID_SESSION_ID' }]);
      return;
    }
    response.json({ ok: true });
  });
  server = await listen(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
});

function client(auth: ProviderAuth) {
  return new ProviderClient({
    provider: 'testprovider',
    baseUrl: server.origin,
    auth,
    logger: createLogger({ name: 'test', level: 'silent' }),
  });
}

describe('ProviderClient auth that changes', () => {
  it('asks a token source before each request and retries once after onUnauthorized', async () => {
    let current = 'token-1';
    const rejected: string[] = [];
    const api = client({
      type: 'bearer',
      token: async () => current,
      onUnauthorized: async (token) => {
        rejected.push(token);
        current = 'token-2';
        return true;
      },
    });
    received.length = 0;
    await expect(api.json({ path: '/x' })).resolves.toEqual({ ok: true });
    expect(rejected).toEqual(['token-1']);
    expect(received.map((request) => request.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('gives up with RELINK_NEEDED after the retry is refused too', async () => {
    let calls = 0;
    const api = client({
      type: 'bearer',
      token: async () => 'never-valid',
      onUnauthorized: async () => {
        calls += 1;
        return true;
      },
    });
    await expect(api.json({ path: '/x' })).rejects.toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
      status: 401,
    });
    expect(calls).toBe(1);
  });

  it('does not retry when onUnauthorized has no new token', async () => {
    received.length = 0;
    const api = client({
      type: 'bearer',
      token: async () => 'stale',
      onUnauthorized: async () => false,
    });
    await expect(api.json({ path: '/x' })).rejects.toMatchObject({
      code: ErrorCode.RELINK_NEEDED,
    });
    expect(received).toHaveLength(1);
  });

  it('sends a header credential and a form body as given', async () => {
    received.length = 0;
    valid = 'unused';
    await client({
      type: 'header',
      name: 'x-api-token',
      value: 'pd-token',
    }).json({
      method: 'POST',
      path: '/form',
      form: { grant_type: 'refresh_token', refresh_token: 'a b&c' },
    });
    expect(received[0]).toMatchObject({
      authorization: undefined,
      apiToken: 'pd-token',
      contentType: 'application/x-www-form-urlencoded',
      body: { grant_type: 'refresh_token', refresh_token: 'a b&c' },
    });
  });
});

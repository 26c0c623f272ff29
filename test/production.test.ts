import { readFileSync } from 'node:fs';
import { CombinedGraphQLErrors, gql } from '@apollo/client';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLinks } from '../lib/sandbox';
import { persistedQueryClient, post, sha256 } from './support/client';
import { SANDBOX, startTestSystem } from './support/system';

interface Manifest {
  operations: Array<{ id: string; name: string; body: string }>;
}
const manifest = JSON.parse(
  readFileSync(
    new URL('../persisted-query-manifest.json', import.meta.url),
    'utf8',
  ),
) as Manifest;
const listed = (name: string) => {
  const operation = manifest.operations.find((entry) => entry.name === name);
  if (!operation) throw new Error(`${name} is not in the manifest`);
  return operation;
};
const operationFile = (name: string) =>
  readFileSync(
    new URL(`../operations/${name}.graphql`, import.meta.url),
    'utf8',
  );
const persisted = (hash: string) => ({
  persistedQuery: { version: 1, sha256Hash: hash },
});

const PRODUCTION = {
  NODE_ENV: 'production',
  TRIBUTARY_IDENTITY_SECRET: 'a-test-secret-of-at-least-32-characters',
  TRIBUTARY_ENCRYPTION_KEYS: `test:${Buffer.alloc(32, 7).toString('base64')}`,
  TRIBUTARY_SANDBOX: '1',
  CORS_ORIGINS: 'https://app.example.com',
};

/** An employee query nested `levels` deep through `manager`. */
function nested(levels: number): string {
  let selection = 'id';
  for (let level = 0; level < levels; level += 1) {
    selection = `manager { ${selection} }`;
  }
  return `query Deep { employees(first: 1) { edges { node { ${selection} } } } }`;
}

describe('production with a safelist', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;

  beforeAll(async () => {
    system = await startTestSystem({
      ...PRODUCTION,
      PERSISTED_QUERIES: 'safelist',
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('runs a listed operation that Apollo Client sends by its manifest id alone', async () => {
    const { client, sent } = persistedQueryClient(system.gatewayUrl, {
      persisted: generatePersistedQueryIdsFromManifest({
        loadManifest: () => manifest,
      }),
    });
    const result = await client.query({
      query: gql(operationFile('Employees')),
      variables: { first: 3 },
    });
    expect(result.data).toMatchObject({
      employees: { edges: [{ node: {} }, { node: {} }, { node: {} }] },
    });
    expect(sent).toEqual([
      {
        method: 'POST',
        hash: listed('Employees').id,
        withQuery: false,
        status: 200,
      },
    ]);
  });

  it('runs a listed operation sent as its full body, however it is spaced', async () => {
    const { body } = listed('Employees');
    const exact = await post(system.gatewayUrl, {
      query: body,
      variables: { first: 1 },
    });
    expect(exact.body.errors).toBeUndefined();
    const respaced = await post(system.gatewayUrl, {
      query: body.replace(/\s+/g, '  '),
      variables: { first: 1 },
    });
    expect(respaced.body).toEqual(exact.body);
  });

  it('refuses unlisted operations, by hash or by body, with PERSISTED_QUERY_NOT_IN_LIST and no provider call', async () => {
    system.recorder?.clear();
    const query = '{ employees(first: 100) { edges { node { id } } } }';
    const byHash = await post(system.gatewayUrl, {
      extensions: persisted(sha256(query)),
    });
    const byBody = await post(system.gatewayUrl, { query });
    const registering = await post(system.gatewayUrl, {
      query,
      extensions: persisted(sha256(query)),
    });
    for (const refused of [byHash, byBody, registering]) {
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({
            code: 'PERSISTED_QUERY_NOT_IN_LIST',
          }),
        }),
      ]);
    }
    expect(system.recorder?.requests).toEqual([]);
  });

  it('gives Apollo Client PERSISTED_QUERY_NOT_IN_LIST for an unlisted operation, without registering it', async () => {
    const { client, sent } = persistedQueryClient(system.gatewayUrl);
    const result = await client.query({
      query: gql(
        'query Unlisted { employees(first: 1) { edges { node { id } } } }',
      ),
      errorPolicy: 'all',
    });
    expect(result.error?.message).toMatch(/persisted query list/);
    expect(sent.every(({ status }) => status === 400)).toBe(true);
  });

  it('refuses introspection and a 30-level nested query without calling a provider', async () => {
    system.recorder?.clear();
    const introspection = await post(system.gatewayUrl, {
      query: '{ __schema { types { name } } }',
    });
    const deep = await post(system.gatewayUrl, { query: nested(30) });
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_IN_LIST',
    );
    expect(deep.body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_IN_LIST',
    );
    expect(system.recorder?.requests).toEqual([]);
  });
});

describe('production with automatic persisted queries', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;

  beforeAll(async () => {
    system = await startTestSystem({
      ...PRODUCTION,
      // A CRM subgraph that cannot be reached: its failure must not show
      // where it lives.
      SUBGRAPH_CRM_URL: 'http://127.0.0.1:9/graphql',
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('refuses introspection', async () => {
    const response = await post(system.gatewayUrl, {
      query: '{ __schema { types { name } } }',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
  });

  it('hides field suggestions, which would reveal the schema introspection hides', async () => {
    const response = await post(system.gatewayUrl, {
      query: '{ employes(first: 1) { edges { node { id } } } }',
    });
    expect(response.body.errors?.[0]?.extensions?.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(response.body.errors?.[0]?.message).toMatch(/employes/);
    expect(response.body.errors?.[0]?.message).not.toMatch(
      /Did you mean|employees/,
    );
  });

  it('refuses a 30-level nested query with QUERY_LIMIT_EXCEEDED before any provider call', async () => {
    system.recorder?.clear();
    const response = await post(system.gatewayUrl, { query: nested(30) });
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(
      expect.objectContaining({
        extensions: expect.objectContaining({
          code: 'QUERY_LIMIT_EXCEEDED',
          limit: 'depth',
        }),
      }),
    );
    expect(system.recorder?.requests).toEqual([]);
  });

  it('answers a subgraph failure with a code, its category and a request id, nothing internal', async () => {
    const response = await post(system.gatewayUrl, {
      query: listed('Flagship').body,
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    // The HRIS and ticketing parts still arrive.
    expect(response.body.data).toMatchObject({
      employees: { edges: expect.any(Array) },
    });
    const errors = response.body.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    // A subgraph that is down is a public condition (issue 7): its
    // category's fields answer UPSTREAM_UNAVAILABLE naming the category,
    // and nothing of the subgraph's address or the failure's internals.
    for (const error of errors) {
      expect(error.message).toBe('The crm service is unavailable.');
      expect(error.extensions).toEqual({
        code: 'UPSTREAM_UNAVAILABLE',
        category: 'crm',
        requestId,
      });
    }
    const text = JSON.stringify(response.body);
    expect(text).not.toMatch(
      /127\.0\.0\.1|stacktrace|serviceName|ECONNREFUSED|fetch failed/i,
    );
  });

  it('gives Apollo Client the coded errors of a failing subgraph beside the data that arrived', async () => {
    const { client } = persistedQueryClient(system.gatewayUrl);
    const result = await client.query({
      query: gql(operationFile('Flagship')),
      errorPolicy: 'all',
    });
    expect(result.data).toMatchObject({
      employees: { edges: expect.any(Array) },
    });
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
    const errors = CombinedGraphQLErrors.is(result.error)
      ? result.error.errors
      : [];
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.message).toBe('The crm service is unavailable.');
      expect(Object.keys(error.extensions ?? {}).sort()).toEqual([
        'category',
        'code',
        'requestId',
      ]);
    }
  });

  it('masks a provider error down to its code, provider and category, without the provider\u2019s answer', async () => {
    const tenant = await system.store.createTenant({ name: 'bad-credentials' });
    const key = await system.store.createApiKey({
      tenantId: tenant.id,
      name: 'test',
      scopes: ['hris:read'],
    });
    const organization = await system.store.createOrganization({
      tenantId: tenant.id,
      name: 'bad credentials',
    });
    const hris = sandboxLinks(system.sandboxUrl!, 'acme').find(
      (link) => link.category === 'hris',
    )!;
    await system.store.linkAccount({
      organizationId: organization.id,
      ...hris,
      credentials: { ...hris.credentials, apiKey: 'not-the-key' },
    });

    const response = await post(
      system.gatewayUrl,
      { query: listed('Employees').body, variables: { first: 1 } },
      {
        authorization: `Bearer ${key.secret}`,
        'x-account-token': organization.accountToken,
      },
    );
    expect(response.body.data).toEqual({ employees: null });
    const [error] = response.body.errors ?? [];
    expect(error?.extensions).toEqual({
      code: 'RELINK_NEEDED',
      provider: 'bamboohr',
      category: 'hris',
      providerStatus: 401,
      requestId: response.headers.get('x-request-id'),
    });
    // BambooHR's own answer ("API key missing or invalid.") stays out.
    expect(JSON.stringify(response.body)).not.toMatch(
      /API key missing|stacktrace|serviceName/,
    );
  });

  it('serves a static landing page instead of Apollo Sandbox', async () => {
    const response = await fetch(system.gatewayUrl, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Tributary');
    expect(html).not.toMatch(/<script|embeddable-sandbox|apollographql/i);
  });

  it('blocks requests a browser could send without a preflight (CSRF prevention)', async () => {
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        authorization: `Bearer ${SANDBOX.apiKey}`,
        'x-account-token': SANDBOX.accountToken,
      },
      body: JSON.stringify({ query: '{ company { id } }' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('answers CORS preflights only for the configured origins', async () => {
    const preflight = (origin: string) =>
      fetch(system.gatewayUrl, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers':
            'authorization,x-account-token,content-type',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe(
      'https://app.example.com',
    );
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(
      /x-account-token/,
    );
    const other = await preflight('https://elsewhere.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

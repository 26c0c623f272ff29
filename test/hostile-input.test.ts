import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { post, sha256 } from './support/client';
import { SANDBOX, startTestSystem } from './support/system';

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
);

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  // The default limits, as a deployment gets them.
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

afterEach(async () => {
  // Whatever was refused reached no provider, and the gateway goes on
  // answering ordinary queries.
  const reached = [...(system.recorder?.requests ?? [])];
  const normal = await post(system.gatewayUrl, {
    query: '{ employees(first: 1) { edges { node { id } } } }',
  });
  system.recorder?.clear();
  expect(reached).toEqual([]);
  expect(normal.body.errors).toBeUndefined();
});

/** The `extensions` of every error of a response. */
function extensionsOf(response: Awaited<ReturnType<typeof post>>) {
  return (response.body.errors ?? []).map((error) => error.extensions);
}

function limitError(limit: string) {
  return expect.objectContaining({ code: 'QUERY_LIMIT_EXCEEDED', limit });
}

describe('hostile queries', () => {
  it('refuses deep nesting with QUERY_LIMIT_EXCEEDED (depth)', async () => {
    let selection = 'id';
    for (let level = 0; level < 30; level += 1) {
      selection = `manager { ${selection} }`;
    }
    const response = await post(system.gatewayUrl, {
      query: `{ employees(first: 1) { edges { node { ${selection} } } } }`,
    });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toContainEqual(limitError('depth'));
  });

  it('refuses an alias bomb with QUERY_LIMIT_EXCEEDED (aliases)', async () => {
    const aliases = Array.from(
      { length: 100 },
      (_, index) =>
        `a${index}: employees(first: 100) { edges { node { id } } }`,
    ).join(' ');
    const response = await post(system.gatewayUrl, { query: `{ ${aliases} }` });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toContainEqual(limitError('aliases'));
  });

  it('refuses a pile of directives with QUERY_LIMIT_EXCEEDED (directives)', async () => {
    const spreads = Array.from(
      { length: 50 },
      () => '... @include(if: true) { id }',
    ).join(' ');
    const response = await post(system.gatewayUrl, {
      query: `{ employees(first: 1) { edges { node { ${spreads} } } } }`,
    });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toContainEqual(limitError('directives'));
  });

  it('refuses a huge field list with QUERY_LIMIT_EXCEEDED (tokens) before parsing it all', async () => {
    const fields = Array.from({ length: 5_000 }, () => 'id').join(' ');
    const response = await post(system.gatewayUrl, {
      query: `{ employees(first: 1) { edges { node { ${fields} } } } }`,
    });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toEqual([limitError('tokens')]);
    expect(response.body.errors?.[0]?.message).toBe(
      'Token limit of 2000 exceeded.',
    );
  });

  it('refuses an expensive query within every other limit with QUERY_LIMIT_EXCEEDED (cost)', async () => {
    // The flagship selection three times over at first: 100: within depth,
    // aliases and tokens, about six times the flagship's cost at first: 50.
    const selection = FLAGSHIP.slice(
      FLAGSHIP.indexOf('employees(first: 5)') + 'employees(first: 5)'.length,
      FLAGSHIP.lastIndexOf('}'),
    );
    const query = `{ ${['a', 'b', 'c'].map((alias) => `${alias}: employees(first: 100) ${selection}`).join(' ')} }`;
    const response = await post(system.gatewayUrl, { query });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toEqual([limitError('cost')]);
  });

  it('refuses fragment cycles with GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await post(system.gatewayUrl, {
      query: `{ employees(first: 1) { edges { node { ...A } } } }
        fragment A on Employee { manager { ...B } }
        fragment B on Employee { manager { ...A } }`,
    });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toContainEqual(
      expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
    );
  });

  it('refuses a hash that is not the SHA-256 of its query with BAD_REQUEST', async () => {
    const response = await post(system.gatewayUrl, {
      query: '{ employees(first: 1) { edges { node { id } } } }',
      extensions: {
        persistedQuery: {
          version: 1,
          sha256Hash: sha256('{ company { id } }'),
        },
      },
    });
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toEqual([
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    ]);
  });
});

describe('hostile requests', () => {
  it('refuses an oversized body with 413 REQUEST_TOO_LARGE', async () => {
    const response = await post(system.gatewayUrl, {
      query: `{ company { id } } # ${'x'.repeat(200_000)}`,
    });
    expect(response.status).toBe(413);
    expect(extensionsOf(response)).toEqual([{ code: 'REQUEST_TOO_LARGE' }]);
  });

  it('refuses malformed JSON with 400 BAD_REQUEST', async () => {
    const response = await post(
      system.gatewayUrl,
      '{"query": "{ company { id } }"',
    );
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toEqual([{ code: 'BAD_REQUEST' }]);
  });

  it('refuses content types other than JSON with 400 BAD_REQUEST', async () => {
    for (const contentType of ['text/plain', 'application/xml']) {
      const response = await post(
        system.gatewayUrl,
        '<query>{ company { id } }</query>',
        { 'content-type': contentType },
      );
      expect(response.status).toBe(400);
      expect(extensionsOf(response)).toEqual([
        expect.objectContaining({ code: 'BAD_REQUEST' }),
      ]);
    }
  });

  it('runs a batch within REQUEST_MAX_BATCH and refuses a larger one with BATCH_TOO_LARGE', async () => {
    const operation = {
      query: '{ employees(first: 1) { edges { node { id } } } }',
    };
    const batch = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${SANDBOX.apiKey}`,
        'x-account-token': SANDBOX.accountToken,
      },
      body: JSON.stringify([operation, operation]),
    });
    expect(batch.status).toBe(200);
    const results = (await batch.json()) as Array<{ data?: unknown }>;
    expect(results).toHaveLength(2);
    expect(results.every((result) => result.data)).toBe(true);
    system.recorder?.clear();

    const response = await post(
      system.gatewayUrl,
      Array.from({ length: 11 }, () => operation),
    );
    expect(response.status).toBe(400);
    expect(extensionsOf(response)).toEqual([{ code: 'BATCH_TOO_LARGE' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config';

describe('loadConfig', () => {
  it('serves a fresh machine with defaults: ports, sandbox on, SQLite', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      gatewayPort: 4000,
      sandboxPort: 4100,
      subgraphPorts: { hris: 4001, crm: 4002, ticketing: 4003 },
      sandboxEnabled: true,
      sandboxUrl: 'http://127.0.0.1:4100',
      databaseUrl: undefined,
      sqlitePath: '.tributary/tributary.db',
    });
  });

  it('turns the sandbox off in production unless TRIBUTARY_SANDBOX=1', () => {
    const secret = 'x'.repeat(32);
    const keys = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(
      loadConfig({
        NODE_ENV: 'production',
        TRIBUTARY_IDENTITY_SECRET: secret,
        TRIBUTARY_ENCRYPTION_KEYS: keys,
      }).sandboxEnabled,
    ).toBe(false);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        TRIBUTARY_IDENTITY_SECRET: secret,
        TRIBUTARY_ENCRYPTION_KEYS: keys,
        TRIBUTARY_SANDBOX: '1',
      }).sandboxEnabled,
    ).toBe(true);
    expect(loadConfig({ TRIBUTARY_SANDBOX: '0' }).sandboxEnabled).toBe(false);
  });

  it('names every bad variable with what it expected and what it received', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        SUBGRAPH_CRM_URL: 'not a url',
        TRIBUTARY_SANDBOX: 'yes',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain(
      'PORT: expected a port number, received "eighty"',
    );
    expect(problems).toContain('SUBGRAPH_CRM_URL: expected an absolute URL');
    expect(problems).toContain(
      'TRIBUTARY_SANDBOX: expected 1 or 0, received "yes"',
    );
  });

  it('requires an identity secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TRIBUTARY_IDENTITY_SECRET: required when NODE_ENV=production/,
    );
  });

  it('takes subgraph routing URL overrides', () => {
    expect(
      loadConfig({ SUBGRAPH_HRIS_URL: 'http://10.0.0.5:4001/graphql' })
        .subgraphUrls,
    ).toEqual({ hris: 'http://10.0.0.5:4001/graphql' });
  });
});

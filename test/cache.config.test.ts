import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config';

describe('cache configuration', () => {
  it('keeps the cache in memory by default, with longer TTLs for directories', () => {
    const { cache } = loadConfig({});
    expect(cache).toMatchObject({
      redisUrl: undefined,
      keyPrefix: 'tributary',
      ttlSeconds: 60,
      staleWhileRevalidateSeconds: 30,
      staleIfErrorSeconds: 3_600,
      timeoutMs: 150,
    });
    expect(cache.ttlByResource['jira:/rest/api/3/users/search']).toBe(300);
  });

  it('reads per-resource TTLs, overriding the defaults', () => {
    const { cache } = loadConfig({
      CACHE_TTL_BY_RESOURCE:
        'jira:/rest/api/3/search/jql=15, jira:/rest/api/3/users/search=60',
    });
    expect(cache.ttlByResource).toMatchObject({
      'jira:/rest/api/3/search/jql': 15,
      'jira:/rest/api/3/users/search': 60,
    });
  });

  it('names the variable and what it expected when a value is wrong', () => {
    let thrown: unknown;
    try {
      loadConfig({ REDIS_URL: 'localhost:6379', CACHE_TTL_BY_RESOURCE: 'x' });
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const problems = (thrown as ConfigError).problems.join('\n');
    expect(problems).toContain(
      'REDIS_URL: expected a redis:// or rediss:// URL, received "localhost:6379"',
    );
    expect(problems).toContain(
      'CACHE_TTL_BY_RESOURCE: expected <provider>:<route>=<seconds>[,…], received "x"',
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../lib/metrics';
import { graphql, startTestSystem } from './support/system';

let system: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  // The data and whole-response caches on, as in production.
  system = await startTestSystem({ CACHE_TTL_SECONDS: '60' });
});

afterAll(async () => {
  await system?.stop();
});

async function responseCacheHits(): Promise<number> {
  const metric = await registry
    .getSingleMetric('tributary_response_cache_requests_total')!
    .get();
  return (
    metric.values.find((value) => value.labels.result === 'hit')?.value ?? 0
  );
}

describe('an answer served from the gateway response cache', () => {
  it('is audited with the personal fields it discloses, like the first', async () => {
    const query = `query PiiTwice {
      employees(first: 2) { edges { node { remoteId dateOfBirth } } }
    }`;
    const credentials = { apiKey: 'sk_sandbox_pii', accountToken: 'acct_acme' };
    const hitsBefore = await responseCacheHits();
    const first = await graphql(system.gatewayUrl, query, credentials);
    const second = await graphql(system.gatewayUrl, query, credentials);
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(await responseCacheHits()).toBe(hitsBefore + 1);

    const records = await system.store.db
      .selectFrom('audit_records')
      .selectAll()
      .where('operation_name', '=', 'PiiTwice')
      .execute();
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(String(record.personal_fields)).toContain('Employee.dateOfBirth');
      expect(String(record.categories)).toContain('hris');
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  AccessTokenCache,
  tokenKey,
} from '../subgraphs/hris/providers/personio/token';

describe('the access token cache', () => {
  it('does not keep a failed token request: the next caller asks again', async () => {
    const cache = new AccessTokenCache();
    let asked = 0;
    const failing = () => {
      asked += 1;
      return Promise.reject(new Error('token endpoint down'));
    };
    await expect(cache.get('k', failing)).rejects.toThrow(/down/);
    await expect(
      cache.get('k', async () => {
        asked += 1;
        return { token: 't1', expiresInMs: 60_000_000 };
      }),
    ).resolves.toBe('t1');
    expect(asked).toBe(2);
  });

  it('hands every concurrent waiter the same failure, from one request', async () => {
    const cache = new AccessTokenCache();
    let asked = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        cache.get('k', () => {
          asked += 1;
          return Promise.reject(new Error('invalid_client'));
        }),
      ),
    );
    expect(asked).toBe(1);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
  });

  it('ignores an invalidation of a token that was already replaced', async () => {
    let clock = 0;
    const cache = new AccessTokenCache({
      refreshBeforeMs: 0,
      now: () => clock,
    });
    await cache.get('k', async () => ({ token: 'old', expiresInMs: 1_000 }));
    clock = 2_000;
    await cache.get('k', async () => ({ token: 'new', expiresInMs: 1_000 }));
    cache.invalidate('k', 'old');
    await expect(
      cache.get('k', async () => ({ token: 'newer', expiresInMs: 1_000 })),
    ).resolves.toBe('new');
  });

  it('keys tokens by linked account and credentials, never by the secret itself', () => {
    const key = tokenKey('la_1', 'client', 'secret');
    expect(key).not.toContain('secret');
    expect(key).not.toBe(tokenKey('la_1', 'client', 'rotated'));
    expect(key).not.toBe(tokenKey('la_2', 'client', 'secret'));
  });
});

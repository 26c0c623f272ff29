import { createHash } from 'node:crypto';

/** An access token as the token endpoint hands it out. */
export interface IssuedToken {
  token: string;
  /** Lifetime from now, in ms (OAuth's `expires_in` × 1000). */
  expiresInMs: number;
}

interface CachedToken {
  token: string;
  /** Epoch ms, on the cache's clock. */
  expiresAt: number;
}

export interface AccessTokenCacheOptions {
  /**
   * A token is replaced this long before its expiry, in ms (default
   * 60_000), so a request never leaves with a token that dies on the way.
   */
  refreshBeforeMs?: number;
  /** The clock, in epoch ms; tests move it. */
  now?: () => number;
}

/**
 * Client-credentials access tokens per linked account, kept in memory for
 * the process (connectors live for one request; tokens for up to a day).
 *
 * - A token is reused until `refreshBeforeMs` before it expires.
 * - At most one token request per key is in flight: concurrent callers wait
 *   for the same one (single flight), so N parallel requests on an expired
 *   token cost one call to the token endpoint.
 * - A failed token request is not cached: the next caller tries again.
 *
 * Keys must change when the credentials do (see `tokenKey`), so a relinked
 * account never reuses a token issued to its old credentials. Tokens are
 * never logged.
 *
 * TODO(issue 3): the generic OAuth module (lib/oauth.ts, CRM branch) will
 * share and persist tokens across processes; this cache is the HRIS-local
 * stand-in until it lands.
 */
export class AccessTokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  private readonly refreshBeforeMs: number;
  private readonly now: () => number;

  constructor(options: AccessTokenCacheOptions = {}) {
    this.refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A valid token for `key`: the cached one while it is fresh, else the
   * result of `issue` (one call however many wait for it). Rejects with
   * whatever `issue` rejects with.
   */
  async get(key: string, issue: () => Promise<IssuedToken>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - this.refreshBeforeMs > this.now()) {
      return cached.token;
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = issue()
        .then((issued) => {
          const cached = {
            token: issued.token,
            expiresAt: this.now() + issued.expiresInMs,
          };
          this.evictExpired();
          this.tokens.set(key, cached);
          return cached;
        })
        .finally(() => {
          this.inFlight.delete(key);
        });
      this.inFlight.set(key, pending);
    }
    return (await pending).token;
  }

  /**
   * Forgets `token` after the provider rejected it (revoked early), unless
   * a newer token already replaced it.
   */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) {
      this.tokens.delete(key);
    }
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [key, issued] of this.tokens) {
      if (issued.expiresAt <= now) {
        this.tokens.delete(key);
      }
    }
  }
}

/**
 * The cache key of a linked account's credentials: its id and a hash of
 * the client id and secret (the secret itself is never kept as a key).
 */
export function tokenKey(
  linkedAccountId: string,
  clientId: string,
  clientSecret: string,
): string {
  const digest = createHash('sha256')
    .update(`${clientId}\u0000${clientSecret}`)
    .digest('base64url');
  return `${linkedAccountId}:${digest}`;
}

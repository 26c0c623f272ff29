/**
 * OAuth 2.0 access tokens that refresh themselves, for any provider: the
 * connector supplies how to call its token endpoint; this module decides
 * when, makes sure it happens once at a time per linked account, keeps
 * what the provider answered, and gives up cleanly when the refresh token
 * is refused.
 *
 * Rules (RFC 6749 §6 and what providers do with it):
 * - An access token whose expiry is known is refreshed `refreshMarginMs`
 *   before it expires; one whose expiry is unknown (Salesforce answers no
 *   `expires_in`) is refreshed when the provider answers 401.
 * - Single flight: every request of this process that needs a refresh of
 *   the same linked account waits for the same token-endpoint call.
 * - A rotated refresh token is persisted at once (`updateCredentials`); a
 *   provider that omits `refresh_token` in its answer keeps the old one.
 * - A refresh the provider refuses (400 `invalid_grant`, 401) marks the
 *   linked account `RELINK_NEEDED` and fails with that code; a refresh that
 *   fails for any other reason (5xx, timeout) leaves it as it was.
 *
 * The credentials hold `accessToken`, `refreshToken` and, when known,
 * `accessTokenExpiresAt` (ISO 8601 UTC), beside the provider's own fields.
 */
import { Counter } from 'prom-client';
import { ErrorCode, ProviderError } from './errors';
import type { BearerTokenSource } from './http';
import type { Logger } from './logger';
import { registry } from './metrics';

export type Credentials = Record<string, string>;

/** What a token endpoint answered, in provider-neutral terms. */
export interface TokenRefreshResult {
  accessToken: string;
  /** A rotated refresh token; absent when the provider keeps the old one. */
  refreshToken?: string | undefined;
  /** Lifetime of the access token in seconds, when the provider says. */
  expiresInSeconds?: number | undefined;
  /** Further credential fields to keep (Salesforce's `instanceUrl`). */
  extra?: Credentials | undefined;
}

/**
 * Writes back one linked account's state; the subgraph binds it to the
 * store (`updateCredentials`, `setLinkedAccountStatus`).
 */
export interface LinkedAccountWriter {
  updateCredentials(credentials: Credentials): Promise<void>;
  markRelinkNeeded(): Promise<void>;
}

export interface OAuthSessionOptions {
  provider: string;
  /** The linked account's id: the unit of single flight. */
  linkedAccountId: string;
  /** Its credentials as the store returned them. */
  credentials: Credentials;
  /**
   * Calls the provider's token endpoint with the refresh token. Rejects
   * with a `ProviderError`; a 400 or 401 means the grant was refused.
   */
  refresh(
    refreshToken: string,
    credentials: Credentials,
  ): Promise<TokenRefreshResult>;
  writer: LinkedAccountWriter;
  logger: Logger;
  /** Refresh this long before a known expiry, in ms. Default 60_000. */
  refreshMarginMs?: number;
  /** Clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

const oauthRefreshes = new Counter({
  name: 'tributary_oauth_refreshes_total',
  help: 'OAuth access-token refreshes, by provider and outcome.',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

/** Access tokens a refreshed set of credentials supersedes, at most. */
const SUPERSEDED_MAX = 8;

interface AccountState {
  /** The refresh in flight, which every waiter shares. */
  inflight?: Promise<Credentials> | undefined;
  /**
   * The last credentials this process obtained, and the access tokens
   * they replaced: a request that loaded one of those from the store
   * (before the refresh was persisted) uses these instead. Credentials
   * linked anew carry an access token not in the set, so they win.
   */
  latest?: { credentials: Credentials; supersedes: Set<string> } | undefined;
}

/** Per linked account, in this process. */
const states = new Map<string, AccountState>();

function stateOf(linkedAccountId: string): AccountState {
  let state = states.get(linkedAccountId);
  if (!state) {
    state = {};
    states.set(linkedAccountId, state);
  }
  return state;
}

/** Refused grants: RFC 6749 §5.2 answers 400, some providers 401. */
function isRefusedGrant(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    (error.status === 400 ||
      error.status === 401 ||
      error.code === ErrorCode.RELINK_NEEDED)
  );
}

/**
 * One request's view of a linked account's OAuth tokens. Cheap to create
 * per request: the state that must outlive a request (the refresh in
 * flight, the latest tokens) lives per linked account in this module.
 */
export class OAuthSession {
  private credentials: Credentials;
  private readonly state: AccountState;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(private readonly options: OAuthSessionOptions) {
    this.state = stateOf(options.linkedAccountId);
    this.marginMs = options.refreshMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
    const latest = this.state.latest;
    const stored = options.credentials;
    this.credentials =
      latest && latest.supersedes.has(stored.accessToken ?? '')
        ? latest.credentials
        : stored;
  }

  /** The current credentials, with the freshest tokens known here. */
  get current(): Credentials {
    return this.credentials;
  }

  /** The `auth` to give `createClient`. */
  auth(): BearerTokenSource {
    return {
      type: 'bearer',
      token: () => this.accessToken(),
      onUnauthorized: (rejected) => this.refreshAfterRejection(rejected),
    };
  }

  /** A usable access token, refreshed first if it is about to expire. */
  async accessToken(): Promise<string> {
    this.adoptLatest();
    if (this.state.inflight) {
      this.credentials = await this.state.inflight;
    } else if (!this.credentials.accessToken || this.expiresSoon()) {
      // Linked with a refresh token only, or about to expire.
      this.credentials = await this.refreshOnce('expiry');
    }
    return this.credentials.accessToken ?? '';
  }

  /**
   * The provider refused `rejected`: refresh unless someone already did.
   * Resolves true when a different token is ready to retry with.
   */
  async refreshAfterRejection(rejected: string): Promise<boolean> {
    // A request that set out with a token another request has since
    // replaced retries with the replacement instead of refreshing again.
    this.adoptLatest();
    if (this.state.inflight) {
      this.credentials = await this.state.inflight;
    } else if (this.credentials.accessToken === rejected) {
      this.credentials = await this.refreshOnce('unauthorized');
    }
    return this.credentials.accessToken !== rejected;
  }

  /** Takes the latest tokens of this process if they replaced ours. */
  private adoptLatest(): void {
    const latest = this.state.latest;
    if (latest && latest.supersedes.has(this.credentials.accessToken ?? '')) {
      this.credentials = latest.credentials;
    }
  }

  private expiresSoon(): boolean {
    const expiresAt = this.credentials.accessTokenExpiresAt;
    if (!expiresAt) {
      return false;
    }
    const at = Date.parse(expiresAt);
    return Number.isNaN(at) || this.now() >= at - this.marginMs;
  }

  private refreshOnce(reason: 'expiry' | 'unauthorized'): Promise<Credentials> {
    this.state.inflight ??= this.refresh(reason).finally(() => {
      this.state.inflight = undefined;
    });
    return this.state.inflight;
  }

  private async refresh(
    reason: 'expiry' | 'unauthorized',
  ): Promise<Credentials> {
    const { provider, linkedAccountId, logger, writer } = this.options;
    const before = this.credentials;
    const refreshToken = before.refreshToken;
    if (!refreshToken) {
      return this.giveUp('no refresh token');
    }

    let result: TokenRefreshResult;
    try {
      result = await this.options.refresh(refreshToken, before);
    } catch (error: unknown) {
      if (isRefusedGrant(error)) {
        return this.giveUp('refresh token refused', error);
      }
      oauthRefreshes.inc({ provider, outcome: 'failed' });
      logger.warn(
        { provider, linkedAccountId, reason, err: error },
        'OAuth refresh failed; will try again on the next request',
      );
      throw error;
    }

    const next: Credentials = { ...before, ...result.extra };
    next.accessToken = result.accessToken;
    // A provider that does not rotate answers without a refresh token.
    next.refreshToken = result.refreshToken || refreshToken;
    if (result.expiresInSeconds !== undefined) {
      next.accessTokenExpiresAt = new Date(
        this.now() + result.expiresInSeconds * 1000,
      ).toISOString();
    } else {
      delete next.accessTokenExpiresAt;
    }

    const supersedes = new Set(this.state.latest?.supersedes ?? []);
    if (before.accessToken) {
      supersedes.add(before.accessToken);
    }
    while (supersedes.size > SUPERSEDED_MAX) {
      supersedes.delete(supersedes.values().next().value as string);
    }
    this.state.latest = { credentials: next, supersedes };

    try {
      await writer.updateCredentials(next);
    } catch (error: unknown) {
      // The new token still serves this process; a rotated refresh token
      // that never reached the store will need a relink after a restart.
      logger.error(
        { provider, linkedAccountId, err: error },
        'could not persist refreshed OAuth credentials',
      );
    }
    oauthRefreshes.inc({ provider, outcome: 'refreshed' });
    logger.info(
      {
        provider,
        linkedAccountId,
        reason,
        rotated:
          Boolean(result.refreshToken) && result.refreshToken !== refreshToken,
      },
      'OAuth access token refreshed',
    );
    return next;
  }

  private async giveUp(why: string, cause?: unknown): Promise<never> {
    const { provider, linkedAccountId, logger, writer } = this.options;
    oauthRefreshes.inc({ provider, outcome: 'refused' });
    logger.warn(
      { provider, linkedAccountId },
      `OAuth refresh impossible (${why}); linked account needs relinking`,
    );
    try {
      await writer.markRelinkNeeded();
    } catch (error: unknown) {
      logger.error(
        { provider, linkedAccountId, err: error },
        'could not mark the linked account RELINK_NEEDED',
      );
    }
    throw new ProviderError(
      `${provider} refused to refresh the linked account's access token; link it again.`,
      { code: ErrorCode.RELINK_NEEDED, provider, cause },
    );
  }
}

import type { Request } from 'express';
import type { AuthenticationResult, Store } from '../lib/store/store';

/** Header naming the end-customer organization a request is for. */
export const ACCOUNT_TOKEN_HEADER = 'x-account-token';

const MESSAGES: Record<
  Extract<AuthenticationResult, { ok: false }>['reason'],
  string
> = {
  'missing-api-key': 'Send your API key as "Authorization: Bearer <api key>".',
  'unknown-api-key': 'The API key is unknown or revoked.',
  'sandbox-off': 'Sandbox API keys work only while the sandbox is on.',
  'missing-account-token':
    'Send the organization\'s account token as "X-Account-Token: <account token>".',
  'unknown-account-token':
    "The account token names no organization of this API key's tenant.",
};

/** The client-facing message for a failed authentication. */
export function authenticationMessage(
  result: Extract<AuthenticationResult, { ok: false }>,
): string {
  return MESSAGES[result.reason];
}

function bearer(request: Request): string | undefined {
  const header = request.header('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Authenticates a gateway request from its API key and account token. */
export function authenticate(
  store: Store,
  request: Request,
): Promise<AuthenticationResult> {
  return store.authenticate(
    bearer(request),
    request.header(ACCOUNT_TOKEN_HEADER)?.trim() || undefined,
  );
}

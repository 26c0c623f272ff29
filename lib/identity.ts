import { webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Principal } from './store/store';

/** Header carrying the gateway's signed identity to subgraphs. */
export const IDENTITY_HEADER = 'x-tributary-identity';

const ISSUER = 'tributary-gateway';
const AUDIENCE = 'tributary-subgraph';

/** Who a subgraph request is for: the principal plus the request id. */
export interface Identity extends Principal {
  requestId: string;
}

/**
 * The HMAC key of `secret` as a WebCrypto key, imported once per secret:
 * jose signs and verifies with WebCrypto, and handed raw bytes or a Node
 * `KeyObject` it imports a key again on every call, twice per subgraph
 * call.
 */
const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
function key(secret: string): Promise<webcrypto.CryptoKey> {
  let made = keys.get(secret);
  if (!made) {
    made = webcrypto.subtle.importKey(
      'raw',
      Buffer.from(secret, 'utf8'),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    // A failed import is not remembered: the next call tries again.
    made.catch(() => keys.delete(secret));
    keys.set(secret, made);
  }
  return made;
}

/**
 * Signs the identity the gateway forwards to subgraphs (HS256 JWT): short
 * lived, so a captured header is soon worthless. The secret is shared by
 * the gateway and the subgraphs only.
 */
export async function signIdentity(
  identity: Identity,
  options: { secret: string; ttlSeconds: number },
): Promise<string> {
  return new SignJWT({
    tenantId: identity.tenantId,
    apiKeyId: identity.apiKeyId,
    scopes: identity.scopes,
    organizationId: identity.organizationId,
    linkedAccounts: identity.linkedAccounts,
    requestId: identity.requestId,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(await key(options.secret));
}

/** Most tokens remembered as verified, per secret. */
const VERIFIED_MAX = 1_000;

/**
 * Tokens that verified, by their exact text, per secret, until they
 * expire. The gateway signs one token per request and sends it to every
 * subgraph the request needs; subgraphs sharing a process (`npm start`, the
 * benchmark) then check its signature once, and the others skip a round
 * through the thread pool that WebCrypto's HMAC takes. A hit is the very
 * text that verified before; its expiry is checked again on every use.
 */
const verified = new Map<
  string,
  Map<string, { identity: Identity; expiresAt: number }>
>();

function verifiedTokens(
  secret: string,
): Map<string, { identity: Identity; expiresAt: number }> {
  let tokens = verified.get(secret);
  if (!tokens) {
    tokens = new Map();
    verified.set(secret, tokens);
  }
  return tokens;
}

/**
 * Verifies a forwarded identity. Rejects (throws) on a bad signature, a
 * wrong issuer or audience, an expired token or a malformed payload.
 */
export async function verifyIdentity(
  token: string,
  options: { secret: string },
): Promise<Identity> {
  const tokens = verifiedTokens(options.secret);
  const known = tokens.get(token);
  if (known && Date.now() < known.expiresAt) {
    return known.identity;
  }
  const { payload } = await jwtVerify(token, await key(options.secret), {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
  });
  const {
    tenantId,
    apiKeyId,
    scopes,
    organizationId,
    linkedAccounts,
    requestId,
  } = payload;
  if (
    typeof tenantId !== 'string' ||
    typeof apiKeyId !== 'string' ||
    typeof organizationId !== 'string' ||
    typeof requestId !== 'string' ||
    !Array.isArray(scopes) ||
    !Array.isArray(linkedAccounts)
  ) {
    throw new TypeError('The identity token is missing required claims.');
  }
  const identity: Identity = {
    tenantId,
    apiKeyId,
    organizationId,
    requestId,
    scopes: scopes as Identity['scopes'],
    linkedAccounts: linkedAccounts as Identity['linkedAccounts'],
  };
  // jwtVerify has required `exp` to lie in the future only if present;
  // a token without one is not remembered.
  if (typeof payload.exp === 'number') {
    for (const oldest of tokens.keys()) {
      if (tokens.size < VERIFIED_MAX) break;
      tokens.delete(oldest);
    }
    tokens.set(token, { identity, expiresAt: payload.exp * 1000 });
  }
  return identity;
}

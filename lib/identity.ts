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

/**
 * Verifies a forwarded identity. Rejects (throws) on a bad signature, a
 * wrong issuer or audience, an expired token or a malformed payload.
 */
export async function verifyIdentity(
  token: string,
  options: { secret: string },
): Promise<Identity> {
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
  return {
    tenantId,
    apiKeyId,
    organizationId,
    requestId,
    scopes: scopes as Identity['scopes'],
    linkedAccounts: linkedAccounts as Identity['linkedAccounts'],
  };
}

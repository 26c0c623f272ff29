import { createSecretKey, type KeyObject } from 'node:crypto';
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
 * The HMAC key of `secret`, made once per secret: handed raw bytes, jose
 * imports a key on every signature and verification, twice per subgraph
 * call.
 */
const keys = new Map<string, KeyObject>();
function key(secret: string): KeyObject {
  let made = keys.get(secret);
  if (!made) {
    made = createSecretKey(Buffer.from(secret, 'utf8'));
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
    .sign(key(options.secret));
}

/**
 * Verifies a forwarded identity. Rejects (throws) on a bad signature, a
 * wrong issuer or audience, an expired token or a malformed payload.
 */
export async function verifyIdentity(
  token: string,
  options: { secret: string },
): Promise<Identity> {
  const { payload } = await jwtVerify(token, key(options.secret), {
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

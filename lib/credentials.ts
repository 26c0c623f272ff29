/**
 * Linked-account credentials encrypted at rest: AES-256-GCM (node:crypto)
 * under keys from the environment, each ciphertext carrying the id of the
 * key that sealed it so keys can rotate.
 *
 * `TRIBUTARY_ENCRYPTION_KEYS` holds comma-separated `keyId:base64key`
 * entries, each key exactly 32 bytes once base64-decoded. The first entry
 * encrypts every new write; every entry decrypts. Rotation: put the new key
 * first and keep the old ones after it until no row names them.
 *
 * A sealed value reads `tcv1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url
 * parts): a 12-byte random IV per write, the 16-byte GCM tag, and the
 * linked account id as additional authenticated data, so a ciphertext
 * copied onto another row does not decrypt there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'tcv1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The development key: used only when `NODE_ENV` is not `production` and
 * no key is configured, so that `npm start` needs no setup. It is public,
 * so it protects nothing but the shape of the data.
 */
export const DEVELOPMENT_ENCRYPTION_KEYS =
  'dev:dHJpYnV0YXJ5LWRldmVsb3BtZW50LWtleS0zMmJ5dGU=';

export interface CredentialKey {
  /** Short, stable name stored with each ciphertext. */
  id: string;
  /** 32 bytes of key material. */
  key: Buffer;
}

/** A problem with `TRIBUTARY_ENCRYPTION_KEYS`, named for the operator. */
export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/**
 * Parses `keyId:base64key[,keyId:base64key…]`. Throws an
 * `EncryptionKeyError` naming the entry at fault and what was expected;
 * the message never repeats key material.
 */
export function parseEncryptionKeys(value: string): CredentialKey[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new EncryptionKeyError(
      'expected at least one keyId:base64key entry, received none',
    );
  }
  const keys: CredentialKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon === -1 ? '' : entry.slice(0, colon);
    const material = colon === -1 ? '' : entry.slice(colon + 1);
    const where = `entry ${index + 1}`;
    if (!KEY_ID_PATTERN.test(id)) {
      throw new EncryptionKeyError(
        `${where}: expected keyId:base64key with a key id of 1 to 32 letters, digits, _ or -, received ${colon === -1 ? 'no colon' : `key id ${JSON.stringify(id)}`}`,
      );
    }
    if (keys.some((key) => key.id === id)) {
      throw new EncryptionKeyError(
        `${where}: key id "${id}" appears twice; each key needs its own id`,
      );
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) {
      throw new EncryptionKeyError(
        `${where} ("${id}"): expected base64 key material, received characters outside base64`,
      );
    }
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new EncryptionKeyError(
        `${where} ("${id}"): expected ${KEY_BYTES} bytes of key material (for example \`openssl rand -base64 32\`), received ${key.length} bytes`,
      );
    }
    keys.push({ id, key });
  });
  return keys;
}

/** Whether a stored value is a sealed envelope rather than plaintext. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(`${PREFIX}.`);
}

/**
 * Encrypts and decrypts credentials with a list of keys: the first
 * encrypts, all decrypt. Credentials are a flat object of strings.
 */
export class CredentialCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly primaryKeyId: string;

  constructor(keys: readonly CredentialKey[]) {
    const [primary] = keys;
    if (!primary) {
      throw new EncryptionKeyError(
        'a credential cipher needs at least one key',
      );
    }
    this.primaryKeyId = primary.id;
    this.keys = new Map(keys.map((key) => [key.id, key.key]));
  }

  /** Seals credentials for the linked account `accountId`. */
  seal(credentials: Record<string, string>, accountId: string): string {
    const key = this.keys.get(this.primaryKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(Buffer.from(accountId, 'utf8'));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(credentials), 'utf8'),
      cipher.final(),
    ]);
    return [
      PREFIX,
      this.primaryKeyId,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  /**
   * Opens a sealed value of the linked account `accountId`. Throws when the
   * value is not an envelope, names a key id this cipher does not hold, or
   * fails authentication (tampered, or sealed for another account).
   */
  open(sealed: string, accountId: string): Record<string, string> {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== PREFIX) {
      throw new Error(
        `The credentials of linked account ${accountId} are not sealed.`,
      );
    }
    const [, keyId, iv, ciphertext, tag] = parts as [
      string,
      string,
      string,
      string,
      string,
    ];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new Error(
        `The credentials of linked account ${accountId} were sealed with key id "${keyId}", which TRIBUTARY_ENCRYPTION_KEYS does not hold.`,
      );
    }
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        key,
        Buffer.from(iv, 'base64url'),
        { authTagLength: TAG_BYTES },
      );
      decipher.setAAD(Buffer.from(accountId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
      return JSON.parse(plaintext) as Record<string, string>;
    } catch (error: unknown) {
      throw new Error(
        `The credentials of linked account ${accountId} failed to decrypt with key id "${keyId}".`,
        { cause: error },
      );
    }
  }

  /** The key id a sealed value names, or undefined for plaintext. */
  static keyIdOf(stored: string): string | undefined {
    return isSealed(stored) ? stored.split('.')[1] : undefined;
  }
}

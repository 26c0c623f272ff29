import type { Migration } from 'kysely';
import type { CredentialCipher } from '../../credentials';
import { initial } from './0001_initial';
import { encryptCredentials } from './0003_encrypt_credentials';
import { audit } from './0005_audit';
import { providerObservability } from './0007_provider_observability';

/**
 * Schema migrations, applied in name order. One file each; never edit one
 * that has shipped: add the next, named `NNNN_topic`. Migrations that touch
 * secrets receive the store's cipher here.
 */
export const migrations = (
  cipher: CredentialCipher,
): Record<string, Migration> => ({
  '0001_initial': initial,
  '0003_encrypt_credentials': encryptCredentials(cipher),
  '0005_audit': audit,
  '0007_provider_observability': providerObservability,
});

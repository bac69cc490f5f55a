// The root entry loads no zod: a short-lived command (\`mcpmux status\`) opens the vault and pays for
// what it loads. The vault's zod schemas are in \`@mcpmux/vault/schemas\` (./schemas.ts).
export {
  MAX_SECRET_BYTES,
  type OpenVaultOptions,
  openVault,
  SqlVault,
  type VaultDatabase,
  vaultCreatedWith,
} from './internal/sql-vault.js';
export {
  createEnvKeyProvider,
  createKeychainKeyProvider,
  createKeyFileKeyProvider,
  createPassphraseKeyProvider,
  DEFAULT_SCRYPT,
  KEYCHAIN_ACCOUNT,
  KEYCHAIN_SERVICE,
  type KeychainKeyProviderOptions,
  type KeyFileKeyProviderOptions,
  keyFileWarning,
  MASTER_KEY_ENV,
  type PassphraseKeyProviderOptions,
  type SelectKeyProviderOptions,
  selectKeyProvider,
} from './key-providers.js';
export {
  deleteUpstreamOAuth,
  readUpstreamOAuth,
  UPSTREAM_OAUTH_SECRET,
  type UpstreamOAuthRecord,
  writeUpstreamOAuth,
} from './oauth.js';
export { createRedactor, MIN_REDACTED_LENGTH, REDACTED } from './redact.js';
export {
  assertNoSecretInArgv,
  type ResolveContext,
  type ResolvedConfig,
  resolveServerConfig,
  secretReferenceNames,
  type TemplatedConfig,
} from './templates.js';
export type {
  DataKeyScope,
  KeyProvider,
  KeyProviderKind,
  MasterKeyRequest,
  ScryptParams,
  SecretInfo,
  SecretListFilter,
  SecretScope,
  Vault,
  VaultLogger,
} from './types.js';

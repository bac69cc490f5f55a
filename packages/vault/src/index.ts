export {
  MAX_SECRET_BYTES,
  type OpenVaultOptions,
  openVault,
  SqlVault,
  type VaultDatabase,
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
  UpstreamOAuthRecordSchema,
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
export {
  type DataKeyScope,
  DataKeyScopeSchema,
  type KeyProvider,
  type KeyProviderKind,
  type MasterKeyRequest,
  type ScryptParams,
  ScryptParamsSchema,
  type SecretInfo,
  SecretInfoSchema,
  type SecretListFilter,
  SecretListFilterSchema,
  SecretNameSchema,
  type SecretScope,
  SecretScopeSchema,
  type Vault,
  type VaultLogger,
} from './types.js';

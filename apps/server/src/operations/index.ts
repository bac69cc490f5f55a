// `@mcpmux/server/operations`: the logic the CLI and the admin API share. Light on purpose (no
// database, no SDK): the CLI imports it on every run.
export {
  APP_IDS,
  type AppId,
  accessKeyEnv,
  appConfigPath,
  appLabel,
  appSignsIn,
  appSpeaksHttp,
  type ConnectPlan,
  type ConnectSnippet,
  type ConnectTarget,
  connectSnippets,
  extractSecrets,
  type HttpEndpoint,
  type ImportedServer,
  type ImportedTransport,
  isAppId,
  isCredential,
  isObviousCredential,
  type LaunchCommand,
  type PlaintextCredentials,
  parseConfigObject,
  plaintextCredentials,
  planConnect,
  planReplace,
  type ReplacePlan,
  readAppServers,
  type SecretExtraction,
  type SkippedEntry,
  secretNameFor,
  slugFromName,
  stripJsonc,
  VSCODE_KEY_INPUT,
} from './app-configs.js';
export { ARGV_FROM_ENV_LABEL, ARGV_FROM_ENV_SCRIPT, argvFromEnv } from './argv-from-env.js';
export {
  CATALOG,
  type CatalogEntry,
  type CatalogInput,
  describeTransport,
  findCatalogEntry,
  searchCatalog,
} from './catalog.js';
export { requireClient, requireServer, requireSpace, targetSpace } from './lookup.js';
export {
  type LoginUpstreamOptions,
  type LoginUpstreamResult,
  loginUpstream,
  logoutUpstream,
  type OAuthLoginTarget,
  type OAuthStatus,
  oauthStatus,
} from './oauth-login.js';
export { checkSecretName, removeSecret, resolveSecretScope, type SecretTarget } from './secrets.js';
export {
  commitServerAdd,
  type NeededSecret,
  planServerAdd,
  referencedSecrets,
  refuseLiteralSecrets,
  type ServerAddPlan,
  type ServerAddRequest,
} from './server-add.js';
export { deleteServerEverywhere, uninstallServer } from './servers.js';
export { deleteSpace, describeDeletion, type SpaceDeletionPreview, spaceDeletionPreview } from './spaces.js';

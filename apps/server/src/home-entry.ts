// `@mcpmux/server/home`: the light way into a home for short-lived commands. It opens the store
// (and the vault only through `openHome`), finds the running gateway and resolves a client's policy,
// without loading the gateway, the MCP SDK, the logger or the metrics (the root entry loads them).

export {
  GATEWAY_INFO_FILE,
  GATEWAY_SOCKET_FILE,
  type GatewayInfo,
  gatewayInfoPath,
  gatewaySocketPath,
  isProcessAlive,
  parseGatewayInfo,
  probeGatewaySocket,
  readGatewayInfo,
  removeGatewayInfo,
  type SocketProbe,
} from './gateway-info.js';
export {
  DATABASE_FILE,
  type HomeLogger,
  type OpenedHome,
  type OpenedHomeStore,
  type OpenHomeOptions,
  type OpenHomeStoreOptions,
  type OpenHomeVaultOptions,
  openHome,
  openHomeStore,
  openHomeVault,
} from './home.js';
export { DATABASE_URL_ENV, redactDatabaseUrl } from './internal/database-url.js';
export { APP_IDS, type AppId } from './operations/app-configs.js';
export { requireClient, requireServer, requireSpace, targetSpace } from './operations/lookup.js';
export {
  type ClientPreview,
  describeNotConnected,
  discoveryGaps,
  type EffectiveFeature,
  effectiveFeatures,
  exposedFeatureName,
  type GatewayPresence,
  type NotConnectedNote,
  resolveClientPolicy,
} from './operations/policy.js';

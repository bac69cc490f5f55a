export { type ActivityCounter, createActivityCounter, type MinuteCount } from './admin/activity.js';
export { type AdminApi, type AdminApiOptions, createAdminApi, LOGIN_PATH } from './admin/admin-api.js';
export {
  ADMIN_COOKIE,
  type AdminAuth,
  type AdminAuthOptions,
  type AdminSession,
  CSRF_HEADER,
  createAdminAuth,
  DEFAULT_ADMIN_SESSION_MS,
  DEFAULT_LOGIN_TTL_MS,
  type LoginToken,
} from './admin/auth.js';
export type { AdminDeps } from './admin/deps.js';
export { createEventHub, DEFAULT_KEEP_ALIVE_MS, type EventHub } from './admin/events.js';
export { API_BASE, openApiDocument } from './admin/openapi.js';
export type { AdminMethod, AdminRoute, RouteContext } from './admin/route.js';
export { CONSOLE_CSP } from './admin/static.js';
export {
  BRIDGE_PROTOCOL,
  type BridgeHello,
  BridgeHelloSchema,
  type BridgeReply,
  BridgeReplySchema,
  MAX_BRIDGE_HELLO_BYTES,
} from './bridge-protocol.js';
export { type CallLogFields, callLogFields, createCallLog } from './call-log.js';
export {
  CONFIG_FILE,
  type HomeConfig,
  HomeConfigSchema,
  readHomeConfig,
  type ServeConfig,
  ServeConfigSchema,
} from './config.js';
export {
  GATEWAY_INFO_FILE,
  GATEWAY_SOCKET_FILE,
  type GatewayInfo,
  gatewayInfoPath,
  gatewaySocketPath,
  isProcessAlive,
  MAX_SOCKET_PATH_BYTES,
  parseGatewayInfo,
  probeGatewaySocket,
  readGatewayInfo,
  removeGatewayInfo,
  type SocketProbe,
  writeGatewayInfo,
} from './gateway-info.js';
export { GatewayInfoSchema } from './gateway-info-schema.js';
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
export {
  type AdminHttpHandler,
  createMcpHttpServer,
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_CLIENT,
  DEFAULT_PORT,
  DEFAULT_SESSION_IDLE_MS,
  HEALTH_PATH,
  type HttpLogger,
  type HttpServerStats,
  MCP_PATH,
  type McpHttpServer,
  type McpHttpServerOptions,
  type SessionConnector,
} from './http-server.js';
export {
  DATABASE_URL_ENV,
  databaseKeyProvider,
  MASTER_KEY_FILE_ENV,
  parseDatabaseUrl,
  redactDatabaseUrl,
} from './internal/database-home.js';
export { DEFAULT_MAX_JSON_DEPTH } from './internal/json-depth.js';
export { ADMIN_LOGIN_PROTOCOL } from './internal/socket-server.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type DefaultLoggerOverrides,
  defaultLogger,
  formatLogLine,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  parseLogLevel,
  REDACTED_PATHS,
} from './logger.js';
export {
  MIGRATED_TABLES,
  type MigrateHomeOptions,
  type MigrationSummary,
  migrateHome,
} from './operations/migrate.js';
export {
  type ClientPreview,
  describeNotConnected,
  discoveryGaps,
  type EffectiveFeature,
  effectiveFeatures,
  exposedFeatureName,
  type GatewayPresence,
  type NotConnectedNote,
  type PreviewEntry,
  previewClient,
  resolveClientPolicy,
} from './operations/policy.js';
export { type RunningServer, type StartServerOptions, startServer } from './start.js';
export { DEFAULT_MAX_LINE_BYTES, type ServeStdioOptions, serveStdio } from './stdio.js';
export { SERVER_VERSION } from './version.js';

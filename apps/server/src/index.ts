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
  GatewayInfoSchema,
  gatewayInfoPath,
  gatewaySocketPath,
  isProcessAlive,
  MAX_SOCKET_PATH_BYTES,
  probeGatewaySocket,
  readGatewayInfo,
  removeGatewayInfo,
  type SocketProbe,
  writeGatewayInfo,
} from './gateway-info.js';
export { DATABASE_FILE, type HomeLogger, type OpenedHome, type OpenHomeOptions, openHome } from './home.js';
export {
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
export { DEFAULT_MAX_JSON_DEPTH } from './internal/json-depth.js';
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
export { type RunningServer, type StartServerOptions, startServer } from './start.js';
export { DEFAULT_MAX_LINE_BYTES, type ServeStdioOptions, serveStdio } from './stdio.js';
export { SERVER_VERSION } from './version.js';

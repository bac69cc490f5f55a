export {
  createGateway,
  GATEWAY_PROTOCOL_VERSION,
  type Gateway,
  type GatewayBackoffOptions,
  type GatewayConnectOptions,
  type GatewayFetchOptions,
  type GatewayOptions,
  type GatewayReport,
  type GatewaySession,
  type GatewayStatus,
  MODERN_PROTOCOL_VERSION,
} from './gateway.js';
export { GatewayErrorCode, toRpcError } from './internal/errors.js';
export type { GatewayLogger } from './internal/logger.js';
export { exposedName, MAX_EXPOSED_NAME_LENGTH } from './internal/naming.js';
export { type ProbeServerContext, probeServer } from './internal/probe-server.js';
export { isModernProtocolVersion } from './internal/protocol-version.js';
export { signInAgainMessage } from './internal/upstream/oauth.js';
export {
  type SignInUpstreamOptions,
  type SignInUpstreamResult,
  signInUpstream,
} from './internal/upstream/oauth-login.js';
export type { UpstreamState, UpstreamStatus } from './internal/upstream/types.js';
export type {
  CallObservation,
  GatewayObserver,
  ListChangedObservation,
  SessionObservation,
  UpstreamStateObservation,
} from './observer.js';

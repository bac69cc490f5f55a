import type { Gateway } from '@mcpmux/gateway';
import type { SpaceStore } from '@mcpmux/space-store';
import type { Vault } from '@mcpmux/vault';
import type { OAuthServer } from '../oauth/oauth-server.js';
import type { ActivityCounter } from './activity.js';
import type { UpstreamSignIns } from './sign-ins.js';

/** What the admin API's handlers use: the same store, vault and gateway the CLI and `/mcp` use. */
export interface AdminDeps {
  store: SpaceStore;
  vault: Vault;
  gateway: Pick<Gateway, 'status' | 'restartUpstream'>;
  /** The gateway's version. */
  version: string;
  /** `<home>/logs`: servers' stderr logs are `<logDir>/<space>/<server>.log`. */
  logDir: string;
  /** Open downstream sessions per client (HTTP and socket). */
  sessionsByClient(): Record<string, number>;
  /** Calls and errors per minute. */
  activity: ActivityCounter;
  /** `http://HOST:PORT/mcp` once listening (for connect snippets). */
  mcpUrl(): string;
  /** Milliseconds clock. */
  now(): number;
  /** Pending OAuth sign-ins for the consent page. Default none (the consent routes answer 404). */
  consent?: Pick<OAuthServer, 'getConsent' | 'approve' | 'deny'>;
  /** The console's sign-ins to OAuth upstreams. Default none (the sign-in routes answer 404). */
  signIns?: UpstreamSignIns;
}

import type {
  AuthorizationCodeInput,
  CodeExchangeInput,
  OAuthClient,
  OAuthClientInput,
  OAuthTokenSet,
} from './oauth-types.js';
import type {
  AccessKeyInfo,
  AuditEvent,
  AuditEventInput,
  AuditFilter,
  AuditRetention,
  Client,
  ClientInput,
  ClientPatch,
  DiscoveredFeature,
  DiscoveryDiff,
  EffectiveServer,
  FeatureSet,
  FeatureSetInput,
  FeatureSetPatch,
  Grant,
  Installation,
  InstallationPatch,
  InstalledServer,
  InstallOptions,
  InstallServerInput,
  ListDiscoveredOptions,
  Member,
  PolicyContext,
  RotateKeyOptions,
  ServerDefinition,
  ServerDefinitionInput,
  ServerDefinitionPatch,
  Space,
  SpaceInput,
  SpacePatch,
  StoreChange,
  StoredFeature,
  WatchOptions,
} from './types.js';

/** Options of {@link SpaceStore.deleteSpace}. */
export interface DeleteSpaceOptions {
  /** The Space to make active when deleting the active one (required then), or at the same time. */
  newActiveSpaceId?: string;
}

/**
 * The persistent model of mcpmux: Spaces, server definitions and installations, FeatureSets,
 * clients with access keys and grants, the discovered-feature cache and audit events.
 *
 * Dialect-neutral and async so that a PostgreSQL implementation can follow the SQLite one
 * (`openSqliteSpaceStore` from `@mcpmux/space-store/sqlite`).
 *
 * Every method validates its input and throws `McpmuxError` with code:
 * - `INVALID_INPUT`: a field failed validation (`data.field` names it);
 * - `NOT_FOUND`: a referenced Space, server, set or client does not exist (`data.entity`, `data.id`);
 * - `CONFLICT`: a duplicate id or alias, a cycle between sets (`data.path`), a set still referenced;
 * - `FORBIDDEN`: editing or deleting a built-in set, deleting the active Space without naming a new one.
 *
 * A write that throws leaves the store unchanged. Every successful write is durable when the
 * promise resolves, and is visible to `watch` listeners in this and other processes.
 *
 * @example
 * ```ts
 * const store = openSqliteSpaceStore({ path: '/home/me/.mcpmux/mcpmux.db' });
 * await store.createSpace({ id: 'work', name: 'Work' });
 * await store.createServer({ id: 'github', transport: { type: 'http', url: 'https://api.example/mcp' } });
 * await store.install('work', 'github');
 * const { accessKey } = await store.createClient({ id: 'cursor' });
 * await store.grant('cursor', 'work', 'server-all:github');
 * const ctx = await store.loadPolicyContext('cursor');
 * ```
 */
export interface SpaceStore {
  // -- Spaces ---------------------------------------------------------------------------------

  /**
   * Creates a Space with its built-in `all` and `default` sets and a `server-all:<server>` set for
   * every default-enabled server. The first Space created becomes active.
   * @param input - `id` (slug), `name` (default: the id), optional `icon` and `description`.
   * @throws `INVALID_INPUT` for a bad slug; `CONFLICT` when the id exists.
   */
  createSpace(input: SpaceInput): Promise<Space>;

  /** The Space with this id, or `undefined`. @throws `INVALID_INPUT` for a bad slug. */
  getSpace(id: string): Promise<Space | undefined>;

  /** Every Space, ordered by id; exactly one has `active: true` (when any exists). */
  listSpaces(): Promise<Space[]>;

  /** The active Space, or `undefined` when no Space exists yet. */
  getActiveSpace(): Promise<Space | undefined>;

  /**
   * Makes `id` the active Space, atomically (no reader ever sees zero or two active Spaces).
   * @throws `NOT_FOUND` when the Space does not exist.
   */
  setActiveSpace(id: string): Promise<void>;

  /**
   * Changes a Space's name, icon or description.
   * @throws `NOT_FOUND` for an unknown Space; `INVALID_INPUT` for a bad field.
   */
  updateSpace(id: string, patch: SpacePatch): Promise<Space>;

  /**
   * Deletes a Space with its installations, sets, grants, discovered features and audit events, in
   * one transaction, running the deletion hooks (e.g. the vault's) inside it. Server definitions survive.
   * @param opts.newActiveSpaceId - required when deleting the active Space.
   * @throws `NOT_FOUND` for an unknown Space; `FORBIDDEN` when deleting the active Space without
   *   naming another; `CONFLICT` when a client is pinned to it (re-pin the client first).
   */
  deleteSpace(id: string, opts?: DeleteSpaceOptions): Promise<void>;

  // -- Server definitions and installations ----------------------------------------------------

  /**
   * Adds a server definition to the global registry. A default-enabled server becomes available
   * (with its `server-all` set) in every Space at once.
   * @throws `INVALID_INPUT` (bad id, transport, a declared secret input given as a literal value, or
   *   a `${secret:...}` reference in a stdio `command` or `args`: secrets reach a server through `env`,
   *   never its command line); `CONFLICT` when the id exists, or a default-enabled server's alias
   *   clashes in some Space.
   */
  createServer(def: ServerDefinitionInput): Promise<ServerDefinition>;

  /** The definition with this id, or `undefined`. */
  getServer(id: string): Promise<ServerDefinition | undefined>;

  /** Every server definition, ordered by id. */
  listServers(): Promise<ServerDefinition[]>;

  /**
   * Changes a server definition. Toggling `defaultEnabled` adds or removes its availability (and
   * `server-all` sets) in Spaces where it is not installed.
   * @throws `NOT_FOUND`; `INVALID_INPUT`; `CONFLICT` for an alias clash when becoming default-enabled.
   */
  updateServer(id: string, patch: ServerDefinitionPatch): Promise<ServerDefinition>;

  /**
   * Deletes a server definition and everything that refers to it: installations, `server-all`
   * sets (and grants of them), discovered features.
   * @throws `NOT_FOUND` for an unknown server.
   */
  deleteServer(id: string): Promise<void>;

  /**
   * Installs a server in a Space (or, for a default-enabled server, records a local alias,
   * prefix or override). Creates its `server-all:<server>` set.
   * @param opts.alias - default: the server id truncated to 24 characters; unique per Space.
   * @param opts.prefix - default true.
   * @param opts.enabled - default true.
   * @param opts.overrides - args (replace), env/headers (merged), timeout; values may hold
   *   `${secret:NAME}` / `${env:NAME}` references, never secret values; `args` no `${secret:NAME}`
   *   (`INVALID_INPUT`).
   * @throws `NOT_FOUND` for an unknown Space or server; `CONFLICT` when already installed or the
   *   alias is taken (the message names the other server and suggests `--alias`).
   */
  install(spaceId: string, serverId: string, opts?: InstallOptions): Promise<Installation>;

  /**
   * Creates a server definition and installs it in a Space in ONE transaction (what `mcpmux server
   * add` does for a new server): afterwards both exist, or, when anything fails or the process dies
   * half-way, neither does. With `discovered`, the features found by a validating connection are
   * recorded in the same transaction (as {@link SpaceStore.replaceDiscovered} would).
   * @param input.definition - as for {@link SpaceStore.createServer}.
   * @param input.spaceId - the Space to install it in.
   * @param input.installation - as the options of {@link SpaceStore.install}.
   * @param input.discovered - optional features; each `server` must be the definition's id.
   * @throws everything {@link SpaceStore.createServer} and {@link SpaceStore.install} throw; nothing
   *   is written then.
   * @example
   * ```ts
   * await store.installServer({
   *   definition: { id: 'memory', transport: { type: 'stdio', command: 'mcp-memory' } },
   *   spaceId: 'work',
   *   installation: { alias: 'mem' },
   * });
   * ```
   */
  installServer(input: InstallServerInput): Promise<InstalledServer>;

  /**
   * Removes a server from a Space with its `server-all` set, grants of it and cached features.
   * For a default-enabled server, removes the local customisation (it becomes available as defined).
   * @throws `NOT_FOUND` when the server is not installed (nor customised) in the Space.
   */
  uninstall(spaceId: string, serverId: string): Promise<void>;

  /**
   * Enables or disables a server in a Space; disabling a default-enabled server records a local
   * row. A disabled server keeps its sets and grants but leaves the effective list.
   * @throws `NOT_FOUND` for an unknown Space, or a server neither installed nor default-enabled.
   */
  setEnabled(spaceId: string, serverId: string, enabled: boolean): Promise<void>;

  /**
   * Changes the per-Space configuration of an installed server, in one transaction that watchers
   * see as an `installation` change of the Space (a running gateway then reconnects the upstream
   * with the new config: its config hash changed). For a default-enabled server without a local row,
   * records one (enabled, default alias). Writing the overrides it already has is a no-op (no change).
   *
   * @param patch.overrides - `env` / `headers` merged key by key into the current overrides (a
   *   string sets a key, `null` removes it, `null` for the map removes them all); `args` and
   *   `timeoutSeconds` replace the current override (`null` removes it). Same rules as the
   *   overrides of {@link SpaceStore.install}: values may hold `${secret:NAME}` / `${env:NAME}`
   *   references, never literal values for declared secret inputs; no `${secret:NAME}` in `args`;
   *   `env`/`args` only for stdio servers, `headers` only for HTTP/SSE ones.
   * @returns the installation as stored afterwards.
   * @throws `INVALID_INPUT` (bad patch, as for `install`; `data.field` names it); `NOT_FOUND` for an
   *   unknown Space or server, or a server neither installed in the Space nor default-enabled.
   * @example
   * ```ts
   * await store.updateInstallation('work', 'github', {
   *   overrides: { env: { GITHUB_TOKEN: '${secret:GITHUB_TOKEN}', DEBUG: null } },
   * });
   * ```
   */
  updateInstallation(spaceId: string, serverId: string, patch: InstallationPatch): Promise<Installation>;

  /** The Space's installation rows (explicit installs and local customisations of default-enabled servers). */
  listInstallations(spaceId: string): Promise<Installation[]>;

  /**
   * The servers a Space runs, in one query: enabled installations plus default-enabled servers not
   * disabled locally, each merged with its overrides, ordered by `installedAt` then id.
   * @throws `NOT_FOUND` for an unknown Space.
   */
  effectiveServers(spaceId: string): Promise<EffectiveServer[]>;

  // -- FeatureSets ------------------------------------------------------------------------------

  /** Every set of a Space: `all`, `default`, `server-all:*` and custom sets, ordered by id. @throws `NOT_FOUND` */
  listFeatureSets(spaceId: string): Promise<FeatureSet[]>;

  /** One set of a Space, or `undefined`. */
  getFeatureSet(spaceId: string, setId: string): Promise<FeatureSet | undefined>;

  /**
   * Creates a custom set.
   * @throws `INVALID_INPUT` (bad slug or member); `CONFLICT` for a duplicate id or a cycle (with the
   *   path); `NOT_FOUND` when a `featureSet` member names a set that is not in this Space.
   */
  createFeatureSet(spaceId: string, input: FeatureSetInput): Promise<FeatureSet>;

  /**
   * Changes a set's name, description or whole member list. `default` accepts member edits.
   * @throws `FORBIDDEN` for `all` and `server-all:*`; `CONFLICT` for a cycle; `NOT_FOUND` as above.
   */
  updateFeatureSet(spaceId: string, setId: string, patch: FeatureSetPatch): Promise<FeatureSet>;

  /** Adds one member (no-op when already present). Same rules as {@link SpaceStore.updateFeatureSet}. */
  addMember(spaceId: string, setId: string, member: Member): Promise<FeatureSet>;

  /** Removes one member (no-op when absent). @throws `FORBIDDEN` for `all` and `server-all:*`. */
  removeMember(spaceId: string, setId: string, member: Member): Promise<FeatureSet>;

  /**
   * Deletes a custom set and the grants of it.
   * @throws `FORBIDDEN` for built-in sets; `CONFLICT` when another set includes or excludes it
   *   (the message names them); `NOT_FOUND`.
   */
  deleteFeatureSet(spaceId: string, setId: string): Promise<void>;

  // -- Clients, access keys, grants ------------------------------------------------------------

  /**
   * Creates a client and its first access key, returned ONCE (only its SHA-256 is stored).
   * Keys are `mcpmux_` followed by 43 base64url characters (32 random bytes).
   * @throws `INVALID_INPUT`; `CONFLICT` when the id exists; `NOT_FOUND` for an unknown pinned Space.
   */
  createClient(input: ClientInput): Promise<{ client: Client; accessKey: string }>;

  /** The client with this id, or `undefined`. */
  getClient(id: string): Promise<Client | undefined>;

  /** Every client, ordered by id. */
  listClients(): Promise<Client[]>;

  /**
   * Changes a client's name or mode. `mode: 'pinned'` needs `pinnedSpaceId` (given or already set).
   * @throws `NOT_FOUND`; `INVALID_INPUT` when pinning without a Space.
   */
  updateClient(id: string, patch: ClientPatch): Promise<Client>;

  /** Deletes a client with its keys, grants and OAuth tokens. @throws `NOT_FOUND` */
  deleteClient(id: string): Promise<void>;

  /** The client's keys (prefix and dates only), newest first. @throws `NOT_FOUND` */
  listAccessKeys(clientId: string): Promise<AccessKeyInfo[]>;

  /**
   * Issues a new access key and revokes every previous one. Returns the key once.
   * @throws `NOT_FOUND` for an unknown client.
   */
  rotateAccessKey(clientId: string, opts?: RotateKeyOptions): Promise<string>;

  /**
   * Revokes every key of the client and every OAuth token acting as it, in one transaction (it can
   * no longer authenticate). @throws `NOT_FOUND`
   */
  revokeAccessKeys(clientId: string): Promise<void>;

  /**
   * The client holding this key, or `undefined` when the key is unknown, revoked or expired.
   * Compares hashes in constant time and records last use (at most once a minute per key).
   * Also accepts an OAuth access token (`mcpmux_at_...`, see {@link SpaceStore.exchangeAuthorizationCode})
   * while it is unexpired and unrevoked.
   */
  authenticate(accessKey: string): Promise<Client | undefined>;

  /**
   * Grants a set of a Space to a client (idempotent).
   * @throws `NOT_FOUND` for an unknown client, Space or set.
   */
  grant(clientId: string, spaceId: string, setId: string): Promise<void>;

  /** Removes a grant (no-op when absent). @throws `NOT_FOUND` for an unknown client or Space. */
  ungrant(clientId: string, spaceId: string, setId: string): Promise<void>;

  /** The client's grants, in one Space or all. @throws `NOT_FOUND` for an unknown client. */
  listGrants(clientId: string, spaceId?: string): Promise<Grant[]>;

  // -- OAuth: apps signing in to /mcp (DESIGN §11) ----------------------------------------------

  /**
   * Registers an app that signs in with OAuth: by Dynamic Client Registration (a generated
   * `client_id`) or by a Client ID Metadata Document (the `client_id` is its URL; registering the
   * same URL again refreshes its name and redirect URIs).
   * @throws `INVALID_INPUT` for a bad redirect URI, a CIMD client without its URL, a DCR client with an id.
   */
  registerOAuthClient(input: OAuthClientInput): Promise<OAuthClient>;

  /** The OAuth client with this `client_id`, or `undefined`. */
  getOAuthClient(id: string): Promise<OAuthClient | undefined>;

  /**
   * Issues a single-use authorization code (valid 2 minutes) for what the admin approved: the app
   * becomes the mcpmux client `clientId`. Returned once; only its SHA-256 is stored.
   * @throws `NOT_FOUND` for an unknown OAuth client or mcpmux client; `INVALID_INPUT` for a bad
   *   challenge or a redirect URI the app did not register.
   */
  createAuthorizationCode(input: AuthorizationCodeInput): Promise<string>;

  /**
   * The token endpoint's `authorization_code` grant: checks the code (single use, unexpired, same
   * app and redirect URI) and the PKCE S256 verifier, then issues an access token (1 h) and a
   * refresh token. A code used twice revokes the tokens it issued.
   * @throws `UNAUTHORIZED` with `data.oauthError: 'invalid_grant'` when refused (nothing issued).
   */
  exchangeAuthorizationCode(input: CodeExchangeInput): Promise<OAuthTokenSet>;

  /**
   * The `refresh_token` grant with rotation: the old refresh token stops working and new tokens are
   * issued. Presenting an already rotated refresh token revokes every token of its family.
   * @throws `UNAUTHORIZED` with `data.oauthError: 'invalid_grant'` when refused.
   */
  refreshOAuthTokens(refreshToken: string, oauthClientId: string): Promise<OAuthTokenSet>;

  /**
   * RFC 7009 revocation: revokes an access token, or a refresh token with its whole family. Unknown
   * tokens, and tokens of another app when `oauthClientId` is given, are ignored (no error).
   */
  revokeOAuthToken(token: string, oauthClientId?: string): Promise<void>;

  // -- Discovered-feature cache -----------------------------------------------------------------

  /**
   * Replaces the cached features of one (Space, server) with what discovery found: existing rows
   * keep their identity, new ones are added, missing ones become `available: false`.
   * @throws `NOT_FOUND` when the server is not present in the Space; `INVALID_INPUT` for a bad feature
   *   (including a `server` field other than `serverId`).
   */
  replaceDiscovered(spaceId: string, serverId: string, features: DiscoveredFeature[]): Promise<DiscoveryDiff>;

  /** Marks every cached feature of (Space, server) unavailable (the upstream went away). */
  markServerUnavailable(spaceId: string, serverId: string): Promise<void>;

  /**
   * Records that a credential of `spaceId` (or a global one, when `spaceId` is omitted) changed, so
   * watchers (a running gateway) reconnect the upstreams that use it. The vault keeps secrets in its
   * own tables and writes no change of its own; the app calls this from the vault's
   * `onSecretChange` hook.
   *
   * @throws `NOT_FOUND` for an unknown Space.
   * @example
   * ```ts
   * await store.recordSecretChange('work');
   * ```
   */
  recordSecretChange(spaceId?: string): Promise<void>;

  /** Cached features of a Space, ordered by server, kind, name. */
  listDiscovered(spaceId: string, opts?: ListDiscoveredOptions): Promise<StoredFeature[]>;

  // -- The per-request query ---------------------------------------------------------------------

  /**
   * Everything needed to resolve one client in one Space, from one consistent snapshot: the
   * client, the Space (given, else pinned, else active), effective servers, sets, grants and the
   * catalog of available features of effective servers. Fast; meant for every request.
   * The returned object may be shared between calls until the next change: do not mutate it.
   * @returns `undefined` when the client does not exist or no Space does.
   * @throws `NOT_FOUND` when `spaceId` is given and unknown.
   */
  loadPolicyContext(clientId: string, spaceId?: string): Promise<PolicyContext | undefined>;

  // -- Audit ----------------------------------------------------------------------------------

  /** Appends audit events (append-only; not a change for watchers). */
  appendAudit(events: AuditEventInput[]): Promise<void>;

  /** Audit events, newest first. */
  listAudit(filter?: AuditFilter): Promise<AuditEvent[]>;

  /** Drops audit events older than `before`, or all but the newest `keep`; returns how many. */
  pruneAudit(opts: AuditRetention): Promise<number>;

  // -- Changes --------------------------------------------------------------------------------

  /** The current revision: it grows with every write to anything but audit events. */
  revision(): Promise<number>;

  /**
   * Calls `listener` after writes by this store (at once) and by other processes or connections
   * (within `intervalMs`, default 50 ms). Returns a function that stops listening. The polling timer
   * does not keep the process alive. A listener that throws does not affect the others.
   */
  watch(listener: (change: StoreChange) => void, opts?: WatchOptions): () => void;

  /** Stops watchers and closes the connection (when the store opened it). */
  close(): Promise<void>;
}

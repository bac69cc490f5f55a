// Pure planning for `mcpmux connect` and `mcpmux import`: file contents in, file contents or
// server plans out. The I/O (backup, atomic write) lives in config-files.ts.
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';

/** The AI apps `connect` and `import` know. */
export const APP_IDS = ['cursor', 'claude-desktop', 'claude-code', 'vscode', 'windsurf'] as const;
/** One of {@link APP_IDS}. */
export type AppId = (typeof APP_IDS)[number];

/** How mcpmux launches itself as a stdio bridge. */
export interface LaunchCommand {
  command: string;
  args: string[];
}

/**
 * The gateway's Streamable HTTP endpoint for an app that speaks it (`connect --http`): the URL, and
 * the environment variable the app reads the client's access key from (never the key itself).
 */
export interface HttpEndpoint {
  url: string;
  /** The environment variable holding the access key, e.g. `MCPMUX_ACCESS_KEY_CURSOR`. */
  keyEnv: string;
  /** The client id (named in VS Code's key prompt). */
  client: string;
}

/** What `connect` writes into an app: the stdio bridge, or the HTTP endpoint. */
export type ConnectTarget = LaunchCommand | HttpEndpoint;

function isHttp(target: ConnectTarget): target is HttpEndpoint {
  return 'url' in target;
}

/** VS Code keeps the access key in its own secret input store, asked for once; this is its id. */
export const VSCODE_KEY_INPUT = 'mcpmux-access-key';

interface AppProfile {
  label: string;
  /** The top-level key holding the servers object. */
  key: 'mcpServers' | 'servers';
  path(userHome: string, platform: NodeJS.Platform, env: Record<string, string | undefined>): string;
  entry(launch: LaunchCommand): Record<string, unknown>;
  /**
   * The entry for the HTTP endpoint, with the key read through the app's own interpolation; absent
   * when the app's config file cannot name a remote server.
   */
  httpEntry?(endpoint: HttpEndpoint): Record<string, unknown>;
  /**
   * True when the app signs in to HTTP MCP servers with OAuth (discovery from the 401, registration,
   * PKCE): its `--http` entry is the URL only, and the admin approves the app in the console.
   */
  signsIn?: boolean;
}

const bearer = (reference: string) => ({ Authorization: `Bearer ${reference}` });

const appData = (userHome: string, platform: NodeJS.Platform, env: Record<string, string | undefined>) =>
  platform === 'darwin'
    ? join(userHome, 'Library', 'Application Support')
    : platform === 'win32'
      ? (env.APPDATA ?? join(userHome, 'AppData', 'Roaming'))
      : (env.XDG_CONFIG_HOME ?? join(userHome, '.config'));

const APPS: Record<AppId, AppProfile> = {
  cursor: {
    label: 'Cursor',
    key: 'mcpServers',
    path: (h) => join(h, '.cursor', 'mcp.json'),
    entry: (l) => ({ command: l.command, args: l.args }),
    // Cursor expands ${env:NAME} in url, headers, command, args and env.
    httpEntry: (e) => ({ url: e.url, headers: bearer(`\${env:${e.keyEnv}}`) }),
  },
  'claude-desktop': {
    label: 'Claude Desktop',
    key: 'mcpServers',
    path: (h, p, e) => join(appData(h, p, e), 'Claude', 'claude_desktop_config.json'),
    entry: (l) => ({ command: l.command, args: l.args }),
  },
  'claude-code': {
    label: 'Claude Code',
    key: 'mcpServers',
    path: (h) => join(h, '.claude.json'),
    entry: (l) => ({ type: 'stdio', command: l.command, args: l.args, env: {} }),
    // Claude Code signs in with OAuth (DCR, loopback redirect): the URL only.
    httpEntry: (e) => ({ type: 'http', url: e.url }),
    signsIn: true,
  },
  vscode: {
    label: 'VS Code',
    key: 'servers',
    path: (h, p, e) => join(appData(h, p, e), 'Code', 'User', 'mcp.json'),
    entry: (l) => ({ type: 'stdio', command: l.command, args: l.args }),
    // VS Code signs in with OAuth (DCR or a Client ID Metadata Document): the URL only.
    httpEntry: (e) => ({ type: 'http', url: e.url }),
    signsIn: true,
  },
  windsurf: {
    label: 'Windsurf',
    key: 'mcpServers',
    path: (h) => join(h, '.codeium', 'windsurf', 'mcp_config.json'),
    entry: (l) => ({ command: l.command, args: l.args }),
    // Windsurf names a remote server's URL `serverUrl` and expands ${env:NAME} in it and in headers.
    httpEntry: (e) => ({ serverUrl: e.url, headers: bearer(`\${env:${e.keyEnv}}`) }),
  },
};

/** True when `name` is one of {@link APP_IDS}. */
export function isAppId(name: string): name is AppId {
  return (APP_IDS as readonly string[]).includes(name);
}

/** The app's display name. */
export function appLabel(app: AppId): string {
  return APPS[app].label;
}

/** True when `connect APP --http` can write the app's config (its file can name a remote server). */
export function appSpeaksHttp(app: AppId): boolean {
  return APPS[app].httpEntry !== undefined;
}

/**
 * True when the app signs in to the gateway with OAuth, so `connect APP --http` writes its URL only
 * (no key) and the admin approves the app on the console's consent page on first use.
 */
export function appSignsIn(app: AppId): boolean {
  return APPS[app].signsIn === true;
}

/**
 * The environment variable `connect --http` has an app read a client's access key from:
 * `MCPMUX_ACCESS_KEY_` and the client id in upper case, other characters as `_`.
 *
 * @param client - the client id, e.g. `cursor` or `claude-code`.
 * @example
 * ```ts
 * accessKeyEnv('claude-code'); // 'MCPMUX_ACCESS_KEY_CLAUDE_CODE'
 * ```
 */
export function accessKeyEnv(client: string): string {
  return `MCPMUX_ACCESS_KEY_${client.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** VS Code's `inputs` with the mcpmux key prompt in place (one per file; others kept). */
function withKeyInput(inputs: unknown, endpoint: HttpEndpoint): unknown[] {
  const others = (Array.isArray(inputs) ? inputs : []).filter(
    (i) => !(typeof i === 'object' && i !== null && (i as { id?: unknown }).id === VSCODE_KEY_INPUT),
  );
  return [
    ...others,
    {
      type: 'promptString',
      id: VSCODE_KEY_INPUT,
      description: `mcpmux access key of client ${endpoint.client} (\`mcpmux client key rotate ${endpoint.client}\` prints a new one)`,
      password: true,
    },
  ];
}

/** Where `app` keeps its MCP config for this user and platform. */
export function appConfigPath(
  app: AppId,
  userHome: string,
  platform: NodeJS.Platform,
  env: Record<string, string | undefined>,
): string {
  return APPS[app].path(userHome, platform, env);
}

/**
 * Removes `//` and `/* *\/` comments and trailing commas outside strings, so JSONC files (VS Code,
 * Cursor) parse with `JSON.parse`. Comments are not preserved on write.
 */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** Parses a config file's text (JSON or JSONC) into an object; INVALID_INPUT naming the file otherwise. */
export function parseConfigObject(text: string | undefined, path: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(stripJsonc(text.replace(/^\uFEFF/, '')));
  } catch (e) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `Cannot parse ${path} (${(e as Error).message}); fix the file or move it away. Nothing was written.`,
      { data: { path } },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new McpmuxError('INVALID_INPUT', `${path} is not a JSON object; fix the file or move it away.`, {
      data: { path },
    });
  }
  return value as Record<string, unknown>;
}

/** The result of {@link planConnect}. */
export interface ConnectPlan {
  /** The new file content (unchanged text when `changed` is false). */
  content: string;
  /** False when the file already holds exactly this entry (connect is idempotent). */
  changed: boolean;
  /** True when an older entry of the same name was replaced. */
  replaced: boolean;
}

/**
 * Puts the mcpmux entry `name` into an app's config text, keeping every other entry and top-level
 * key: the stdio bridge for a {@link LaunchCommand}, the gateway's URL for an {@link HttpEndpoint}
 * (with the key read from an environment variable, or for VS Code from its secret input).
 * INVALID_INPUT when the text cannot be parsed, the servers key is not an object, or the app cannot
 * name a remote server (Claude Desktop).
 */
export function planConnect(
  app: AppId,
  text: string | undefined,
  path: string,
  name: string,
  target: ConnectTarget,
): ConnectPlan {
  const profile = APPS[app];
  if (isHttp(target) && profile.httpEntry === undefined) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `${profile.label}'s config file only launches commands; connect it without --http (the stdio bridge).`,
      { data: { field: 'http' } },
    );
  }
  const config = parseConfigObject(text, path);
  const current = config[profile.key];
  if (current !== undefined && (typeof current !== 'object' || current === null || Array.isArray(current))) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `"${profile.key}" in ${path} is not an object; fix the file first.`,
      {
        data: { path },
      },
    );
  }
  const servers = { ...((current as Record<string, unknown> | undefined) ?? {}) };
  const entry = isHttp(target) ? (profile.httpEntry?.(target) ?? {}) : profile.entry(target);
  const next: Record<string, unknown> = { ...config, [profile.key]: { ...servers, [name]: entry } };
  if (isHttp(target) && app === 'vscode' && profile.signsIn !== true) {
    next.inputs = withKeyInput(config.inputs, target);
  }
  if (
    JSON.stringify(servers[name]) === JSON.stringify(entry) &&
    JSON.stringify(next.inputs) === JSON.stringify(config.inputs)
  ) {
    return { content: text ?? '', changed: false, replaced: false };
  }
  return {
    content: `${JSON.stringify(next, null, 2)}\n`,
    changed: true,
    replaced: servers[name] !== undefined,
  };
}

/** The result of {@link planReplace}. */
export interface ReplacePlan {
  /** The new file content. */
  content: string;
  /** The entries removed (the imported servers), in file order. */
  removed: string[];
  /** The entry name of the mcpmux bridge that took their place. */
  entry: string;
}

/**
 * Replaces imported entries of an app's config by one mcpmux entry (the stdio bridge `launch`),
 * keeping every other entry and top-level key: what `mcpmux import APP --replace` writes, so the app
 * stops launching those servers itself (with their plaintext credentials) and reaches them through
 * mcpmux. Pure: text in, text out.
 *
 * @param app - the app whose config this is.
 * @param text - the config file's current text.
 * @param path - its path, for messages.
 * @param names - the entry names to remove (as `readAppServers` returned them).
 * @param entry - the name of the mcpmux entry, e.g. `mcpmux`.
 * @param launch - how the app runs the bridge, e.g. `{ command: 'mcpmux', args: ['stdio', '--client', 'cursor'] }`.
 * @throws `INVALID_INPUT` when the text cannot be parsed, its servers key is not an object, or a name
 *   is not an entry of it (the file must be the one the entries were read from).
 * @example
 * ```ts
 * const plan = planReplace('cursor', text, path, ['github'], 'mcpmux', { command: 'mcpmux', args: ['stdio', '--client', 'cursor'] });
 * ```
 */
export function planReplace(
  app: AppId,
  text: string,
  path: string,
  names: readonly string[],
  entry: string,
  launch: LaunchCommand,
): ReplacePlan {
  const profile = APPS[app];
  const config = parseConfigObject(text, path);
  const current = config[profile.key];
  if (typeof current !== 'object' || current === null || Array.isArray(current)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `"${profile.key}" in ${path} is not an object; fix the file first.`,
      {
        data: { path },
      },
    );
  }
  const servers = current as Record<string, unknown>;
  const missing = names.filter((n) => !(n in servers));
  if (missing.length > 0) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `${path} has no "${profile.key}" entries named ${missing.map((n) => `"${n}"`).join(', ')}; nothing was replaced.`,
      { data: { path } },
    );
  }
  const drop = new Set(names);
  const kept = Object.fromEntries(Object.entries(servers).filter(([name]) => !drop.has(name)));
  const next = { ...config, [profile.key]: { ...kept, [entry]: profile.entry(launch) } };
  return {
    content: `${JSON.stringify(next, null, 2)}\n`,
    removed: Object.keys(servers).filter((name) => drop.has(name)),
    entry,
  };
}

/** One server entry of an app config that holds literal credentials: what `mcpmux doctor` flags. */
export interface PlaintextCredentials {
  /** The entry's name in the app config. */
  name: string;
  /** The env or header names whose values look like credentials (never the values). */
  keys: string[];
}

/**
 * The entries of an app config that hold credentials in plaintext (env values or headers that look
 * like secrets, by the same test `mcpmux import` uses to move them into the vault). The mcpmux entry
 * itself is never listed.
 *
 * @param text - the config file's text (JSON or JSONC).
 * @param path - its path, for messages.
 * @param selfUrls - the gateway's own URLs (see {@link readAppServers}).
 * @throws `INVALID_INPUT` when the text cannot be parsed.
 * @example
 * ```ts
 * plaintextCredentials('{"mcpServers":{"github":{"command":"npx","env":{"GITHUB_TOKEN":"ghp_x"}}}}', 'mcp.json');
 * // [{ name: 'github', keys: ['GITHUB_TOKEN'] }]
 * ```
 */
export function plaintextCredentials(
  text: string,
  path: string,
  selfUrls: readonly string[] = [],
): PlaintextCredentials[] {
  const { servers } = readAppServers(text, path, selfUrls);
  const out: PlaintextCredentials[] = [];
  for (const server of servers) {
    const t = server.transport;
    const record = t.type === 'stdio' ? t.env : t.headers;
    const keys = Object.entries(record)
      .filter(([k, v]) => isCredential(k, v))
      .map(([k]) => k);
    if (t.type === 'stdio' && t.args.some((a) => URL_WITH_PASSWORD.test(a))) keys.push('args');
    if (keys.length > 0) out.push({ name: server.name, keys });
  }
  return out;
}

/** A server entry read from an app's config. */
export type ImportedTransport =
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { type: 'http' | 'sse'; url: string; headers: Record<string, string> };

/** One server found in an app config, before its secrets move to the vault. */
export interface ImportedServer {
  /** The entry's name in the app config. */
  name: string;
  /** A slug id derived from the name. */
  id: string;
  transport: ImportedTransport;
}

/** What {@link readAppServers} skipped, with a reason. */
export interface SkippedEntry {
  name: string;
  reason: string;
}

/** Lowercase slug from an app's entry name (`GitHub Server` -> `github-server`). */
export function slugFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 64)
    .replace(/-$/, '');
  return slug === '' ? 'server' : slug;
}

const stringRecord = (v: unknown): Record<string, string> => {
  if (typeof v !== 'object' || v === null) return {};
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
      .map(([k, x]) => [k, String(x)]),
  );
};

/**
 * True for an entry that reaches mcpmux itself (never imported back): the stdio bridge, the
 * gateway's URL with the key reference `connect --http` writes, or one of `selfUrls`.
 */
function isMcpmuxBridge(entry: Record<string, unknown>, selfUrls: readonly string[]): boolean {
  const args = Array.isArray(entry.args) ? entry.args.map(String) : [];
  const text = [String(entry.command ?? ''), ...args].join(' ');
  if (/mcpmux/.test(text) && args.includes('stdio') && args.includes('--client')) return true;
  const url = entry.url ?? entry.serverUrl;
  if (typeof url === 'string' && selfUrls.includes(url)) return true;
  const auth = Object.values(stringRecord(entry.headers)).join(' ');
  return auth.includes('MCPMUX_ACCESS_KEY_') || auth.includes(`\${input:${VSCODE_KEY_INPUT}}`);
}

/**
 * Reads the servers of an app config (`mcpServers`, VS Code's `servers`, or `mcp.servers` of a VS Code
 * settings file). Entries it cannot use are returned in `skipped` with a reason.
 */
export function readAppServers(
  text: string,
  path: string,
  /** The gateway's own URLs (an OAuth app's `--http` entry carries no key to recognise it by). */
  selfUrls: readonly string[] = [],
): { servers: ImportedServer[]; skipped: SkippedEntry[] } {
  const config = parseConfigObject(text, path);
  const mcp = config.mcp as Record<string, unknown> | undefined;
  const raw =
    config.mcpServers ?? config.servers ?? (typeof mcp === 'object' && mcp ? mcp.servers : undefined);
  if (raw === undefined) return { servers: [], skipped: [] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new McpmuxError('INVALID_INPUT', `The servers object in ${path} is not an object.`, {
      data: { path },
    });
  }
  const servers: ImportedServer[] = [];
  const skipped: SkippedEntry[] = [];
  const ids = new Set<string>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) {
      skipped.push({ name, reason: 'not an object' });
      continue;
    }
    const entry = value as Record<string, unknown>;
    if (isMcpmuxBridge(entry, selfUrls)) {
      skipped.push({ name, reason: 'this is mcpmux itself' });
      continue;
    }
    let transport: ImportedTransport;
    const url = entry.url ?? entry.serverUrl;
    if (typeof entry.command === 'string' && entry.command !== '') {
      transport = {
        type: 'stdio',
        command: entry.command,
        args: Array.isArray(entry.args) ? entry.args.map(String) : [],
        env: stringRecord(entry.env),
        ...(typeof entry.cwd === 'string' ? { cwd: entry.cwd } : {}),
      };
    } else if (typeof url === 'string' && url !== '') {
      const type =
        entry.type === 'sse' || (entry.type === undefined && /\/sse\/?$/.test(url)) ? 'sse' : 'http';
      transport = { type, url, headers: stringRecord(entry.headers) };
    } else {
      skipped.push({ name, reason: 'neither a command nor a url' });
      continue;
    }
    let id = slugFromName(name);
    for (let n = 2; ids.has(id); n++) id = `${slugFromName(name).slice(0, 60)}-${n}`;
    ids.add(id);
    servers.push({ name, id, transport });
  }
  return { servers, skipped };
}

const CREDENTIAL_NAME =
  /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE|BEARER|SIGNATURE|DSN|CONNECTION_STRING|DATABASE_URL)/i;
const CREDENTIAL_VALUE =
  /^(ghp_|gho_|ghu_|ghs_|github_pat_|glpat-|sk-|sk_live_|rk_live_|xox[abpr]-|AKIA|AIza|Bearer\s)/;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

/** True when an env/header NAME=VALUE looks like a credential (by its name or its value's shape). */
export function isCredential(name: string, value: string): boolean {
  if (value === '' || isReferenceOnly(value)) return false;
  return CREDENTIAL_NAME.test(name) || CREDENTIAL_VALUE.test(value) || URL_WITH_PASSWORD.test(value);
}

/** True when the whole value is `${...}` references (nothing literal to protect). */
function isReferenceOnly(value: string): boolean {
  return /^(\$\{[^}]+\}\s*)+$/.test(value.replace(/^Bearer\s+/, ''));
}

const STRONG_CREDENTIAL_NAME =
  /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTHORIZATION|COOKIE)/i;

/**
 * The narrower test `server add` uses to refuse a literal value on the command line: a name that
 * clearly holds a credential, or a value shaped like a token or a URL with a password.
 */
export function isObviousCredential(name: string, value: string): boolean {
  if (value === '' || isReferenceOnly(value)) return false;
  return STRONG_CREDENTIAL_NAME.test(name) || CREDENTIAL_VALUE.test(value) || URL_WITH_PASSWORD.test(value);
}

/** A vault secret name from an env/header name: `X-Api-Key` -> `X_API_KEY`. */
export function secretNameFor(name: string): string {
  const n = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[A-Z_]/.test(n) ? n : `_${n}`;
}

/** The plan for one imported server: its transport with references, and the secrets to store. */
export interface SecretExtraction {
  transport: ImportedTransport;
  secrets: { name: string; value: string }[];
  /** References the source app resolves itself (e.g. VS Code `${input:...}`): they become secrets to set. */
  unresolved: string[];
}

/**
 * Replaces every credential value in env, headers and args by a `${secret:NAME}` reference and lists
 * the values to store. `${VAR}` (Claude Code) becomes `${env:VAR}`; `${input:ID}` (VS Code) becomes a
 * secret the user must set.
 */
export function extractSecrets(transport: ImportedTransport): SecretExtraction {
  const secrets: { name: string; value: string }[] = [];
  const unresolved: string[] = [];
  const used = new Set<string>();
  const claim = (base: string) => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  };
  const convert = (key: string, value: string): string => {
    let v = value.replace(/\$\{(?!secret:|env:|input:)([A-Za-z_][A-Za-z0-9_]*)\}/g, '${env:$1}');
    v = v.replace(/\$\{input:([^}]+)\}/g, (_m, id: string) => {
      const name = claim(secretNameFor(id));
      unresolved.push(name);
      return `\${secret:${name}}`;
    });
    if (!isCredential(key, v)) return v;
    const name = claim(secretNameFor(key));
    secrets.push({ name, value: v });
    return `\${secret:${name}}`;
  };
  const mapRecord = (rec: Record<string, string>) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, convert(k, v)]));
  if (transport.type === 'stdio') {
    const args = transport.args.map((a, i) => (URL_WITH_PASSWORD.test(a) ? convert(`ARG_${i}`, a) : a));
    return {
      transport: { ...transport, args, env: mapRecord(transport.env) },
      secrets,
      unresolved,
    };
  }
  return { transport: { ...transport, headers: mapRecord(transport.headers) }, secrets, unresolved };
}

/** One app's connect instructions: the config text `connect` would write into a new file. */
export interface ConnectSnippet {
  app: AppId;
  /** The app's display name. */
  title: string;
  /** How the snippet reaches the gateway: its HTTP endpoint, or the stdio bridge. */
  transport: 'http' | 'stdio';
  /** The config file text (JSON) with the mcpmux entry, exactly as `mcpmux connect` writes it. */
  snippet: string;
}

/**
 * The connect instructions of every app for one client, made by the same planner `mcpmux connect`
 * writes files with ({@link planConnect}): the gateway's URL with the key read from the app's own
 * interpolation where the app can name a remote server, else the stdio bridge `launch`. Never the
 * key itself.
 *
 * @param client - the client id.
 * @param mcpUrl - the gateway's `http://HOST:PORT/mcp`.
 * @param launch - how the app runs the bridge, e.g. `{ command: 'mcpmux', args: ['stdio', '--client', 'cursor'] }`.
 * @example
 * ```ts
 * connectSnippets('cursor', 'http://127.0.0.1:45818/mcp', { command: 'mcpmux', args: ['stdio', '--client', 'cursor'] });
 * ```
 */
export function connectSnippets(client: string, mcpUrl: string, launch: LaunchCommand): ConnectSnippet[] {
  return APP_IDS.map((app) => {
    const http = appSpeaksHttp(app);
    const target: ConnectTarget = http ? { url: mcpUrl, keyEnv: accessKeyEnv(client), client } : launch;
    const { content } = planConnect(app, undefined, appConfigPath(app, '~', 'linux', {}), 'mcpmux', target);
    return { app, title: appLabel(app), transport: http ? 'http' : 'stdio', snippet: content };
  });
}

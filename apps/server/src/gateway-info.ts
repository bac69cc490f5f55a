import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

/** The file, inside a home, where a running gateway says where it listens: `gateway.json`. */
export const GATEWAY_INFO_FILE = 'gateway.json';

/** The Unix domain socket, inside a home, where a running gateway accepts local bridges. */
export const GATEWAY_SOCKET_FILE = 'gateway.sock';

/**
 * What a running gateway writes to `<home>/gateway.json` (mode 0600) once it listens on both TCP
 * and its Unix socket, and removes when it stops. Unknown keys are ignored, so newer gateways may
 * add fields. The same shape as a zod schema: `GatewayInfoSchema` of `@mcpmux/server`.
 */
export interface GatewayInfo {
  /** The gateway's process id. */
  pid: number;
  /** The Streamable HTTP endpoint, `http://HOST:PORT/mcp`. */
  url: string;
  /** Absolute path of the gateway's Unix domain socket (`<home>/gateway.sock`). */
  socket: string;
  /** The gateway's version (`@mcpmux/server`). */
  version: string;
  /** When the gateway started listening, ISO-8601 with `Z` or an offset. */
  startedAt: string;
  /** Absolute path of the home the gateway serves. */
  home: string;
}

/** An ISO-8601 date and time with `Z` or a `±HH:MM` offset, as `toISOString()` writes it. */
const ISO_DATETIME =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * `raw` as a {@link GatewayInfo} (known keys only), or undefined when it is not one. Checked by hand:
 * `status` and every bridge read `gateway.json`, and should not load zod for it (a test holds this
 * equal to `GatewayInfoSchema`).
 */
export function parseGatewayInfo(raw: unknown): GatewayInfo | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { pid, url, socket, version, startedAt, home } = raw as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (!nonEmpty(url) || !nonEmpty(socket) || typeof version !== 'string' || !nonEmpty(home)) return undefined;
  if (typeof startedAt !== 'string' || !ISO_DATETIME.test(startedAt)) return undefined;
  return { pid, url, socket, version, startedAt, home };
}

/**
 * The path of a home's `gateway.json`.
 *
 * @param home - the mcpmux home directory (relative paths resolve against the working directory).
 * @returns the absolute path `<home>/gateway.json`.
 * @example
 * ```ts
 * gatewayInfoPath('/home/me/.mcpmux'); // '/home/me/.mcpmux/gateway.json'
 * ```
 */
export function gatewayInfoPath(home: string): string {
  return join(resolve(home), GATEWAY_INFO_FILE);
}

/**
 * The path of a home's gateway socket. On Linux a socket path holds at most 107 bytes; a gateway
 * whose home makes it longer refuses to start and says to use a shorter `--home`.
 *
 * @param home - the mcpmux home directory (relative paths resolve against the working directory).
 * @returns the absolute path `<home>/gateway.sock`.
 * @example
 * ```ts
 * gatewaySocketPath('/home/me/.mcpmux'); // '/home/me/.mcpmux/gateway.sock'
 * ```
 */
export function gatewaySocketPath(home: string): string {
  return join(resolve(home), GATEWAY_SOCKET_FILE);
}

/** The longest Unix socket path this platform accepts, in bytes (104 on macOS and BSD, 108 elsewhere, less the final NUL). */
export const MAX_SOCKET_PATH_BYTES: number =
  process.platform === 'darwin' || process.platform.endsWith('bsd') ? 103 : 107;

/** What answers on a socket path: a listening process, a file nothing listens on, or nothing. */
export type SocketProbe = 'live' | 'stale' | 'absent';

/**
 * Finds out whether a gateway listens on a Unix socket path by connecting to it (and closing at
 * once, without a hello). A connection that neither succeeds nor fails within `timeoutMs` counts
 * as live (a busy gateway), so its socket is never removed.
 *
 * @param path - the socket path, e.g. {@link gatewaySocketPath}`(home)`.
 * @param timeoutMs - how long to wait for the connection; default 1,000.
 * @returns `'live'` when something accepts connections; `'stale'` when the path exists but nothing
 *   listens (a gateway that was killed left it); `'absent'` when there is no such path.
 * @example
 * ```ts
 * if ((await probeGatewaySocket(gatewaySocketPath(home))) === 'live') console.log('running');
 * ```
 */
export function probeGatewaySocket(path: string, timeoutMs = 1000): Promise<SocketProbe> {
  return new Promise((resolvePromise) => {
    const socket = connect({ path });
    const done = (result: SocketProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    const timer = setTimeout(() => done('live'), timeoutMs);
    socket.once('connect', () => done('live'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ENOENT' ? 'absent' : 'stale'));
  });
}

/**
 * True when a process with this id exists (a process of another user counts as alive).
 *
 * @param pid - the process id.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads `<home>/gateway.json`, the running gateway's address. Never throws for a bad file: a
 * missing, unreadable or malformed file, or one whose `pid` is no longer alive (a gateway that was
 * killed), all mean "no gateway".
 *
 * @param home - the mcpmux home directory.
 * @returns the parsed info, or `undefined` when no live gateway recorded itself.
 * @example
 * ```ts
 * const info = await readGatewayInfo('/home/me/.mcpmux');
 * if (info !== undefined) console.log(`gateway ${info.pid} at ${info.url}`);
 * ```
 */
export async function readGatewayInfo(home: string): Promise<GatewayInfo | undefined> {
  let text: string;
  try {
    text = await readFile(gatewayInfoPath(home), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const info = parseGatewayInfo(raw);
  return info !== undefined && isProcessAlive(info.pid) ? info : undefined;
}

/**
 * Writes `<home>/gateway.json` atomically (a 0600 temporary file in the home, then a rename), so a
 * reader sees either the old file or the whole new one.
 *
 * @param home - the mcpmux home directory (must exist).
 * @param info - what to record; checked by {@link parseGatewayInfo}.
 * @throws a TypeError for an invalid `info`; a file system error when the home is not writable.
 * @example
 * ```ts
 * await writeGatewayInfo(home, {
 *   pid: process.pid, url: 'http://127.0.0.1:45818/mcp', socket: gatewaySocketPath(home),
 *   version: '0.1.0', startedAt: new Date().toISOString(), home,
 * });
 * ```
 */
export async function writeGatewayInfo(home: string, info: GatewayInfo): Promise<void> {
  const data = parseGatewayInfo(info);
  if (data === undefined) throw new TypeError(`not a gateway info: ${JSON.stringify(info)}`);
  const file = gatewayInfoPath(home);
  // Unique within this process (the pid tells processes apart; 'wx' never overwrites a file): no
  // node:crypto for this, which every command that reads gateway.json would otherwise load.
  const temp = `${file}.${process.pid}.${Math.random().toString(16).slice(2, 14)}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/**
 * Removes `<home>/gateway.json` if it still belongs to the process `pid`, so a stopping gateway
 * never removes the file of a newer one.
 *
 * @param home - the mcpmux home directory.
 * @param pid - the process whose record may be removed (usually `process.pid`).
 * @returns `true` when the file was removed.
 * @example
 * ```ts
 * await removeGatewayInfo(home, process.pid);
 * ```
 */
export async function removeGatewayInfo(home: string, pid: number): Promise<boolean> {
  const file = gatewayInfoPath(home);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return false;
  }
  if (typeof raw !== 'object' || raw === null || (raw as { pid?: unknown }).pid !== pid) return false;
  try {
    await unlink(file);
    return true;
  } catch {
    return false;
  }
}

// Who holds a TCP port: the process id and, for an mcpmux gateway, the home whose `gateway.sock`
// that process listens on. Linux only (it reads /proc); elsewhere, and whenever /proc does not say
// (another user's process), the answer is `undefined`. Only used to word an "address in use" error.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { GATEWAY_SOCKET_FILE } from '../gateway-info.js';

/** What is known about the process listening on a TCP port. */
export interface PortHolder {
  /** The listening process's id. */
  pid: number;
  /**
   * The homes whose `gateway.sock` that process listens on (an mcpmux gateway has one); empty for
   * any other program.
   */
  gatewayHomes: string[];
}

const LISTEN = '0A';

/** The socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6. */
async function listeningInodes(port: number): Promise<Set<string>> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local === undefined || cols[3] !== LISTEN) continue;
      if (local.slice(local.lastIndexOf(':') + 1) === hexPort && cols[9] !== undefined && cols[9] !== '0') {
        inodes.add(cols[9]);
      }
    }
  }
  return inodes;
}

/** The socket inodes a process holds open (`socket:[INODE]` links in /proc/PID/fd). */
async function socketInodesOf(pid: string): Promise<Set<string>> {
  const out = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1] !== undefined) out.add(m[1]);
  }
  return out;
}

/**
 * Finds the process listening on a TCP port and, when it is an mcpmux gateway, the home it serves.
 *
 * @param port - the TCP port.
 * @returns the holder, or `undefined` when it cannot be found (not Linux, another user's process).
 * @example
 * ```ts
 * const holder = await findPortHolder(45818);
 * if (holder) console.log(`pid ${holder.pid}`, holder.gatewayHomes);
 * ```
 */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  if (process.platform !== 'linux') return undefined;
  const wanted = await listeningInodes(port);
  if (wanted.size === 0) return undefined;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const held = await socketInodesOf(pid);
    if (![...wanted].some((inode) => held.has(inode))) continue;
    // The Unix sockets named `gateway.sock` among the same process's sockets: the homes it serves.
    const unix = await readFile('/proc/net/unix', 'utf8').catch(() => '');
    const gatewayHomes: string[] = [];
    for (const line of unix.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const inode = cols[6];
      const path = cols[7];
      if (inode === undefined || path === undefined || !held.has(inode)) continue;
      if (basename(path) === GATEWAY_SOCKET_FILE && !gatewayHomes.includes(dirname(path))) {
        gatewayHomes.push(dirname(path));
      }
    }
    return { pid: Number(pid), gatewayHomes };
  }
  return undefined;
}

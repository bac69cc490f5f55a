// The gateway's local channel: a Unix domain socket where each connection is one gateway session.
// A connection starts with one hello line from the bridge (`{"mcpmux":"bridge/1","client":"ID"}`),
// answered with one line (`{"ok":true,"version":...}` or `{"ok":false,"error":{code,message}}`, then
// close). After ok, both directions carry newline-delimited JSON-RPC, checked line by line like the
// stdio bridge (depth, length). The OS user is the credential: the socket is 0600 in the 0700 home.
// A connection may instead ask for an admin login link: `{"mcpmux":"admin-login/1"}` is answered with
// `{"url":"http://HOST:PORT/login?token=T","expiresAt":"ISO"}`, then closed (`mcpmux ui`).
import { chmod } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { isMcpmuxError } from '@mcpmux/core';
import {
  BRIDGE_PROTOCOL,
  BridgeHelloSchema,
  type BridgeReply,
  MAX_BRIDGE_HELLO_BYTES,
} from '../bridge-protocol.js';
import type { HttpLogger, SessionConnector } from '../http-server.js';
import { StdioLineTransport } from './stdio-transport.js';

/** The line `mcpmux ui` sends to ask the gateway for a single-use admin login link. */
export const ADMIN_LOGIN_PROTOCOL = 'admin-login/1';

/** Sessions served elsewhere (HTTP) that count in the same caps. */
export interface OtherSessions {
  /** Open sessions of `clientId`, or of every client when undefined. */
  count(clientId?: string): number;
  /** Closes sessions idle past their limit to make room; resolves with how many. */
  reapIdle(): Promise<number>;
}

/** Options of {@link createSocketServer}. */
export interface SocketServerOptions {
  /** The socket path (`<home>/gateway.sock`); must not exist when `listen` is called. */
  path: string;
  /** Serves each session (the gateway). */
  gateway: SessionConnector;
  /** Sent in the ok line. */
  version: string;
  /** Deepest nesting of one incoming message. */
  maxJsonDepth: number;
  /** Longest incoming line in bytes. */
  maxLineBytes: number;
  /** Open sessions per client, HTTP ones included. */
  maxSessionsPerClient: number;
  /** Open sessions in total, HTTP ones included. */
  maxSessions: number;
  /** The HTTP sessions, counted in the caps. Default none. */
  others?: OtherSessions;
  /** How long a connection may take to send its hello, in ms. Default 5,000. */
  helloTimeoutMs?: number;
  /** Lifecycle notices; nothing per message. */
  logger?: HttpLogger;
  /** Mints an admin login link for an `admin-login/1` line. Default none (refused). */
  adminLogin?: () => { url: string; expiresAt: string };
}

/** The gateway's Unix socket listener. */
export interface SocketServer {
  /** Starts listening on the path and makes the socket file 0600. */
  listen(): Promise<void>;
  /** Open sessions, by client. */
  count(clientId?: string): number;
  /** Stops accepting, closes every session and connection. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  socket: Socket;
  clientId: string | undefined;
  session: { close(): Promise<void> } | undefined;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Creates the listener; see the file comment for the protocol. */
export function createSocketServer(options: SocketServerOptions): SocketServer {
  const helloTimeoutMs = options.helloTimeoutMs ?? 5000;
  const logger = options.logger;
  const connections = new Set<Connection>();
  let closing: Promise<void> | undefined;

  function count(clientId?: string): number {
    let n = 0;
    for (const c of connections) {
      if (c.clientId !== undefined && (clientId === undefined || c.clientId === clientId)) n++;
    }
    return n;
  }

  function total(clientId?: string): number {
    return count(clientId) + (options.others?.count(clientId) ?? 0);
  }

  /** A refusal message when a cap is reached even after idle HTTP sessions were closed. */
  async function refusal(clientId: string): Promise<string | undefined> {
    while (total(clientId) >= options.maxSessionsPerClient || total() >= options.maxSessions) {
      const reaped = (await options.others?.reapIdle()) ?? 0;
      if (reaped > 0) continue;
      if (total(clientId) >= options.maxSessionsPerClient) {
        return (
          `Too many sessions: client "${clientId}" already has ${plural(options.maxSessionsPerClient, 'open session')}, its limit. ` +
          'Close apps or sessions it no longer uses, or raise the limit: `mcpmux serve --max-sessions-per-client N`, ' +
          'or "serve.maxSessionsPerClient" in <home>/config.json.'
        );
      }
      if (total() >= options.maxSessions) {
        return (
          `Too many sessions: the gateway has ${plural(options.maxSessions, 'open session')}, its limit. ` +
          'Try again later, or raise the limit: `mcpmux serve --max-sessions N`, or "serve.maxSessions" in <home>/config.json.'
        );
      }
    }
    return undefined;
  }

  function reply(socket: Socket, answer: BridgeReply): void {
    if (answer.ok) socket.write(`${JSON.stringify(answer)}\n`);
    else socket.end(`${JSON.stringify(answer)}\n`);
  }

  function refuse(socket: Socket, code: string, message: string): void {
    reply(socket, { ok: false, error: { code, message } });
  }

  /** After a valid hello: admission, the gateway session, then the ok line and the relay. */
  async function open(conn: Connection, clientId: string, rest: Buffer): Promise<void> {
    const { socket } = conn;
    const refused = await refusal(clientId);
    if (refused !== undefined) return refuse(socket, 'FORBIDDEN', refused);
    if (socket.destroyed || closing !== undefined) return;
    // Counted from here on, so concurrent hellos see this session in the caps.
    conn.clientId = clientId;
    // The transport reads from a pipe fed only after the ok line is out, so no JSON-RPC message of
    // this session can precede it.
    const input = new PassThrough();
    const transport = new StdioLineTransport(input, socket, {
      maxJsonDepth: options.maxJsonDepth,
      maxLineBytes: options.maxLineBytes,
    });
    // Set before connecting: the gateway's protocol layer chains its own handler after this one.
    transport.onclose = () => {
      if (!socket.destroyed) socket.end();
    };
    try {
      conn.session = await options.gateway.connect(transport, { clientId });
    } catch (err) {
      conn.clientId = undefined;
      // Closed without ending the socket: the refusal line goes out first.
      transport.onclose = () => {};
      await transport.close();
      if (isMcpmuxError(err, 'UNAUTHORIZED')) {
        return refuse(
          socket,
          'NOT_FOUND',
          `Client "${clientId}" does not exist. Run \`mcpmux client add ${clientId}\`, or fix --client in the app's MCP config.`,
        );
      }
      logger?.error({ err }, 'could not open a socket session');
      return refuse(socket, 'INTERNAL', 'The gateway could not open a session; see <home>/logs/gateway.log.');
    }
    if (socket.destroyed) {
      await conn.session.close();
      return;
    }
    reply(socket, { ok: true, version: options.version });
    if (rest.length > 0) input.write(rest);
    socket.pipe(input);
  }

  function accept(socket: Socket): void {
    const conn: Connection = { socket, clientId: undefined, session: undefined };
    connections.add(conn);
    socket.on('error', () => {
      // A bridge that went away; 'close' follows.
    });
    socket.once('close', () => {
      connections.delete(conn);
      const session = conn.session;
      conn.session = undefined;
      session?.close().catch((err: unknown) => logger?.warn({ err }, 'closing a socket session failed'));
    });
    if (closing !== undefined) {
      socket.destroy();
      return;
    }
    let held: Buffer[] = [];
    let heldBytes = 0;
    const timer = setTimeout(() => {
      stop();
      refuse(
        socket,
        'INVALID_INPUT',
        `No hello within ${helloTimeoutMs} ms. A bridge first writes {"mcpmux":"${BRIDGE_PROTOCOL}","client":"ID"} and a newline.`,
      );
    }, helloTimeoutMs);
    timer.unref();
    const stop = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer): void => {
      const end = chunk.indexOf(0x0a);
      if (end === -1) {
        heldBytes += chunk.length;
        held.push(chunk);
        if (heldBytes >= MAX_BRIDGE_HELLO_BYTES) {
          stop();
          held = [];
          refuse(socket, 'INVALID_INPUT', `The hello line exceeds ${MAX_BRIDGE_HELLO_BYTES} bytes.`);
        }
        return;
      }
      stop();
      socket.pause();
      const line = Buffer.concat([...held, chunk.subarray(0, end)]);
      held = [];
      if (line.length >= MAX_BRIDGE_HELLO_BYTES) {
        refuse(socket, 'INVALID_INPUT', `The hello line exceeds ${MAX_BRIDGE_HELLO_BYTES} bytes.`);
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(line.toString('utf8'));
      } catch {
        raw = undefined;
      }
      if (
        typeof raw === 'object' &&
        raw !== null &&
        (raw as { mcpmux?: unknown }).mcpmux === ADMIN_LOGIN_PROTOCOL
      ) {
        const mint = options.adminLogin;
        if (mint === undefined) {
          refuse(socket, 'INVALID_INPUT', 'This gateway serves no admin console.');
          return;
        }
        socket.end(`${JSON.stringify(mint())}\n`);
        return;
      }
      const hello = BridgeHelloSchema.safeParse(raw);
      if (!hello.success) {
        const other =
          typeof raw === 'object' &&
          raw !== null &&
          typeof (raw as { mcpmux?: unknown }).mcpmux === 'string' &&
          (raw as { mcpmux: string }).mcpmux !== BRIDGE_PROTOCOL;
        refuse(
          socket,
          'INVALID_INPUT',
          other
            ? `This gateway (version ${options.version}) speaks ${BRIDGE_PROTOCOL} only. Run the same mcpmux version for the bridge and the gateway: \`mcpmux restart\`.`
            : `Not a bridge hello. A bridge first writes {"mcpmux":"${BRIDGE_PROTOCOL}","client":"ID"} and a newline.`,
        );
        return;
      }
      // Copy: the stream may reuse the chunk's memory.
      const rest = Buffer.from(chunk.subarray(end + 1));
      open(conn, hello.data.client, rest).catch((err: unknown) => {
        logger?.error({ err }, 'socket session failed');
        socket.destroy();
      });
    };
    socket.on('data', onData);
  }

  const server: Server = createServer(accept);

  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ path: options.path, readableAll: false, writableAll: false }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chmod(options.path, 0o600);
    },
    count,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
        });
        const open = [...connections];
        await Promise.allSettled(
          open.map(async (c) => {
            const session = c.session;
            c.session = undefined;
            await session?.close();
          }),
        );
        for (const c of open) c.socket.destroySoon();
        const forced = setTimeout(() => {
          for (const c of connections) c.socket.destroy();
        }, 2000);
        await stopped;
        clearTimeout(forced);
      })();
      return closing;
    },
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixturePath } from '../helpers/cli.js';
import { allToolNames } from '../helpers/client.js';
import { killGroup } from '../helpers/processes.js';

/** The 2026 protocol revision (stateless, `server/discover`). */
export const MODERN = '2026-07-28';
/** The newest 2025-era revision. */
export const LEGACY = '2025-11-25';

/** Which SDK and era a test client speaks: the v1 SDK (2025), or the v2 SDK pinned to 2026-07-28. */
export type ClientEra = '2025' | '2026';

/** The text parts of a tool, prompt or resource result. */
interface TextParts {
  content?: { type: string; text?: string }[];
  isError?: boolean;
}

/** A call of `slow` in flight: the progress it reported and a way to cancel it. */
export interface SlowCall {
  /** `progress` values of the notifications received so far. */
  progress: number[];
  /** Aborts the request (v1: `notifications/cancelled`; v2 on 2026 HTTP: closes the request's stream). */
  cancel(): void;
  /** Settles with the call's text, or the error message when it was rejected. */
  outcome: Promise<string>;
}

/** One connected test client, the same operations whatever its SDK and era. */
export interface EraClient {
  era: ClientEra;
  /** The protocol version the connection negotiated. */
  protocolVersion(): string | undefined;
  /** How many `notifications/tools/list_changed` arrived (2026: on the `subscriptions/listen` stream). */
  toolsChanged(): number;
  toolNames(): Promise<string[]>;
  /** `tools/call`, the joined text; an error result is thrown. */
  callText(name: string, args?: Record<string, unknown>): Promise<string>;
  /** Starts a call meant to be cancelled. */
  startCall(name: string, args: Record<string, unknown>): SlowCall;
  /** `prompts/get`, the text of the first message. */
  promptText(name: string, args: Record<string, string>): Promise<string>;
  /** `resources/read`, the text of the first content. */
  readText(uri: string): Promise<string>;
  /** `completion/complete` values. */
  complete(
    ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string },
    argument: { name: string; value: string },
  ): Promise<string[]>;
  close(): Promise<void>;
}

/** Where a test client connects. */
export type ClientTarget =
  | { kind: 'http'; url: string; headers?: Record<string, string> }
  | { kind: 'stdio'; command: string; args: string[]; env?: Record<string, string> };

const clientInfo = { name: 'mcpmux-era-e2e', version: '1.0.0' };

function joined(result: TextParts, what: string): string {
  const text = (result.content ?? []).map((c) => (c.type === 'text' ? (c.text ?? '') : '')).join('');
  if (result.isError === true) throw new Error(`${what} returned an error: ${text}`);
  return text;
}

/** Stdio server parameters of a stdio target (its env only when given). */
function stdioParams(target: Extract<ClientTarget, { kind: 'stdio' }>) {
  return {
    command: target.command,
    args: target.args,
    ...(target.env === undefined ? {} : { env: target.env }),
    stderr: 'pipe' as const,
  };
}

/** Operations both SDK clients share, written once against their common method shapes. */
interface SdkClientLike {
  listTools(params?: { cursor?: string }): Promise<{ tools: { name: string }[]; nextCursor?: string }>;
  getPrompt(params: { name: string; arguments?: Record<string, string> }): Promise<{
    messages: { content: { type: string; text?: string } }[];
  }>;
  readResource(params: { uri: string }): Promise<{ contents: { uri: string; text?: string }[] }>;
  complete(params: {
    ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
    argument: { name: string; value: string };
  }): Promise<{ completion: { values: string[] } }>;
}

type CallFn = (
  name: string,
  args: Record<string, unknown>,
  options: { onprogress?: (p: { progress: number }) => void; signal?: AbortSignal; timeout?: number },
) => Promise<TextParts>;

function operations(
  era: ClientEra,
  client: SdkClientLike,
  call: CallFn,
  extra: Pick<EraClient, 'protocolVersion' | 'toolsChanged' | 'close'>,
): EraClient {
  return {
    era,
    ...extra,
    toolNames: () => allToolNames(client),
    async callText(name, args = {}) {
      return joined(await call(name, args, {}), `tool ${name}`);
    },
    startCall(name, args) {
      const progress: number[] = [];
      const controller = new AbortController();
      const outcome = call(name, args, {
        onprogress: (p) => progress.push(p.progress),
        signal: controller.signal,
        timeout: 30_000,
      }).then(
        (r) => joined(r, `tool ${name}`),
        (e: Error) => e.message,
      );
      return { progress, cancel: () => controller.abort(new Error('cancelled by the test')), outcome };
    },
    async promptText(name, args) {
      const { messages } = await client.getPrompt({ name, arguments: args });
      const first = messages[0]?.content;
      return first?.type === 'text' ? (first.text ?? '') : '';
    },
    async readText(uri) {
      const { contents } = await client.readResource({ uri });
      return contents[0]?.text ?? '';
    },
    async complete(ref, argument) {
      return (await client.complete({ ref, argument })).completion.values;
    },
  };
}

/**
 * Connects the v1 SDK `Client` (the 2025 `initialize` handshake).
 *
 * @example
 * ```ts
 * const client = await connectLegacy({ kind: 'http', url, headers: { Authorization: `Bearer ${key}` } });
 * ```
 */
export async function connectLegacy(target: ClientTarget): Promise<EraClient> {
  const client = new LegacyClient(clientInfo, { capabilities: {} });
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changed++;
  });
  const transport =
    target.kind === 'http'
      ? new LegacyHttpTransport(new URL(target.url), { requestInit: { headers: target.headers ?? {} } })
      : new LegacyStdioTransport(stdioParams(target));
  // The v1 client hands the negotiated version to its transport and keeps it nowhere public.
  let negotiated: string | undefined;
  const setVersion = (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.bind(
    transport,
  );
  (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion = (version) => {
    negotiated = version;
    setVersion?.(version);
  };
  await client.connect(transport);
  const call: CallFn = async (name, args, options) =>
    (await client.callTool({ name, arguments: args }, undefined, options)) as TextParts;
  return operations('2025', client as unknown as SdkClientLike, call, {
    protocolVersion: () => negotiated,
    toolsChanged: () => changed,
    async close() {
      if (transport instanceof LegacyHttpTransport) await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  });
}

/**
 * Connects the v2 SDK `Client` pinned to 2026-07-28 (`server/discover`, no fallback) and, when the
 * server offers tools list_changed, opens a `subscriptions/listen` stream for it.
 *
 * @throws the SDK's `SdkError(EraNegotiationFailed)` when the server does not offer 2026-07-28.
 * @example
 * ```ts
 * const client = await connectModern({ kind: 'http', url, headers: { Authorization: `Bearer ${key}` } });
 * expect(client.protocolVersion()).toBe(MODERN);
 * ```
 */
export async function connectModern(target: ClientTarget): Promise<EraClient> {
  const client = new ModernClient(clientInfo, { versionNegotiation: { mode: { pin: MODERN } } });
  let changed = 0;
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    changed++;
  });
  const transport =
    target.kind === 'http'
      ? new ModernHttpTransport(new URL(target.url), { requestInit: { headers: target.headers ?? {} } })
      : new ModernStdioTransport(stdioParams(target));
  await client.connect(transport);
  let subscription: Awaited<ReturnType<ModernClient['listen']>> | undefined;
  if (client.getServerCapabilities()?.tools?.listChanged === true) {
    subscription = await client.listen({ toolsListChanged: true });
    if (subscription.honoredFilter.toolsListChanged !== true) {
      throw new Error(
        `subscriptions/listen did not honour toolsListChanged: ${JSON.stringify(subscription.honoredFilter)}`,
      );
    }
  }
  const call: CallFn = async (name, args, options) =>
    (await client.callTool({ name, arguments: args }, options)) as TextParts;
  return operations('2026', client as unknown as SdkClientLike, call, {
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    toolsChanged: () => changed,
    async close() {
      await subscription?.close().catch(() => undefined);
      await client.close();
    },
  });
}

/** Connects a client of the given era. */
export function connectEra(era: ClientEra, target: ClientTarget): Promise<EraClient> {
  return era === '2026' ? connectModern(target) : connectLegacy(target);
}

/** The fixture upstream's SDK era and transport. */
export interface FixtureVariant {
  era: '2025' | '2026';
  transport: 'stdio' | 'http';
}

/** `node era-server.mjs` arguments for a variant. */
export function fixtureArgs(variant: FixtureVariant, events: string, label: string): string[] {
  return [
    fixturePath('eras/era-server.mjs'),
    '--era',
    variant.era,
    '--transport',
    variant.transport,
    '--events',
    events,
    '--label',
    label,
  ];
}

/** A fixture started as an HTTP server by the test (its own process group). */
export interface HttpFixture {
  url: string;
  stop(): void;
}

/**
 * Starts `era-server.mjs --transport http` and waits for its `listening <url>` line.
 *
 * @throws Error with the fixture's stderr when it exits or does not listen within 15 s.
 */
export async function startHttpFixture(
  era: '2025' | '2026',
  events: string,
  label: string,
): Promise<HttpFixture> {
  const child: ChildProcess = spawn(
    process.execPath,
    fixtureArgs({ era, transport: 'http' }, events, label),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`era fixture did not listen in 15 s: ${stderr}`)),
      15_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /listening (\S+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`era fixture exited ${code}: ${stderr}`));
    });
  });
  return { url, stop: () => killGroup(child.pid!) };
}

/** One line of a fixture's events file. */
export type FixtureEvent =
  | { event: 'request'; method: string; protocolVersion?: string }
  | { event: 'cancelled' };

/** Every event a fixture recorded so far. */
export function readEvents(file: string): FixtureEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as FixtureEvent);
}

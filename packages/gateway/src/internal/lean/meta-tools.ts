/**
 * Lean mode (DESIGN §14): a lean client's `tools/list` shows three meta-tools, search, describe and
 * call, plus the tools pinned to it, instead of every tool it may use. Everything here works from the
 * caller's resolved view alone (no session state), so it serves 2025 sessions and 2026-07-28
 * stateless requests alike; a call through `mcpmux_call_tool` is handed back to the direct call path
 * (same allow check, audit record, routing, errors, progress and cancellation).
 */
import { McpmuxError } from '@mcpmux/core';
import type { AuditEventInput } from '@mcpmux/space-store';
import type { Tool } from '@modelcontextprotocol/server';
import type { Observe } from '../core/observe.js';
import { startRequestSpan } from '../tracing.js';
import type { SpaceNaming, SpaceReport, View } from '../view.js';
import { fingerprint } from '../view.js';
import { searchIndexOf } from './search-index.js';

/** Name of the search meta-tool. */
export const SEARCH_TOOLS = 'mcpmux_search_tools';
/** Name of the describe meta-tool. */
export const DESCRIBE_TOOL = 'mcpmux_describe_tool';
/** Name of the call meta-tool. */
export const CALL_TOOL = 'mcpmux_call_tool';

/** The three meta-tool names. */
export const META_TOOL_NAMES: ReadonlySet<string> = new Set([SEARCH_TOOLS, DESCRIBE_TOOL, CALL_TOOL]);

/** Results per search when the caller gives no `limit`, and the most it may ask for. */
export const DEFAULT_SEARCH_LIMIT = 8;
export const MAX_SEARCH_LIMIT = 50;

/** The meta-tools as listed (descriptions kept short: they are in every model request). */
export const META_TOOLS: readonly Tool[] = [
  {
    name: SEARCH_TOOLS,
    title: 'Search tools',
    description:
      'Find tools for a task among all the tools available to you. Returns the best matches (name, one-line description, score); call one with mcpmux_call_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'The task in a few words, e.g. "create a GitHub issue".' },
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_SEARCH_LIMIT,
          description: `Most results to return (default ${DEFAULT_SEARCH_LIMIT}).`,
        },
        includeSchema: { type: 'boolean', description: "Include each tool's input schema." },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: DESCRIBE_TOOL,
    title: 'Describe a tool',
    description: 'The full definition of one tool (description, input and output schema, annotations).',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string', description: 'The tool name from mcpmux_search_tools.' } },
      required: ['name'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: 'Call a tool',
    description: 'Call a tool found with mcpmux_search_tools, with its arguments.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'The tool name.' },
        arguments: { type: 'object', description: "The tool's arguments, as its input schema says." },
      },
      required: ['name'],
    },
  },
];

/** What a lean client is shown, kept on its view. */
export interface LeanListing {
  /** The tools list as listed: the meta-tools, then the pinned tools the client may use (view order). */
  readonly tools: Tool[];
}

/** The lean settings of a client, as the store keeps them. */
export interface LeanSettings {
  lean: boolean;
  pinnedTools: readonly string[];
}

/**
 * The view a client in lean mode is served: the same resolved view (routes, prompts, resources, the
 * tools search ranks) with the listed tools replaced by the meta-tools and the pinned tools it may use
 * (a pinned name it may not use is simply absent). A meta-tool name wins over a real tool exposed
 * under the same name (reported by {@link metaToolClashes}); that tool stays callable through
 * `mcpmux_call_tool`. Not lean: the view unchanged.
 */
export function withLean(view: View, client: LeanSettings | undefined): View {
  if (client === undefined || !client.lean) return view;
  const pinned = new Set(client.pinnedTools);
  const tools: Tool[] = [...META_TOOLS];
  for (const tool of view.tools) {
    if (pinned.has(tool.name) && !META_TOOL_NAMES.has(tool.name)) tools.push(tool);
  }
  return { ...view, lean: { tools }, fingerprints: { ...view.fingerprints, tools: fingerprint(tools) } };
}

/** The tools list a view is served with: the lean listing, else every tool. */
export function listedTools(view: View): readonly Tool[] {
  return view.lean?.tools ?? view.tools;
}

/**
 * Tools of a Space exposed under a meta-tool's name (an installation aliased `mcpmux`, or an
 * unprefixed server with a tool named like one): lean clients see the meta-tool there, so the clash
 * is reported in the gateway's status rather than shadowing silently.
 */
export function metaToolClashes(
  spaceId: string,
  naming: SpaceNaming,
  catalogs: ReadonlyMap<string, { tools: readonly { name: string }[] }>,
): SpaceReport[] {
  const reports: SpaceReport[] = [];
  for (const server of naming.ordered) {
    const prefix = naming.prefixOf.get(server.serverId) ?? true;
    if (prefix && server.alias !== 'mcpmux') continue;
    for (const tool of catalogs.get(server.serverId)?.tools ?? []) {
      const exposed = prefix ? `${server.alias}_${tool.name}` : tool.name;
      if (!META_TOOL_NAMES.has(exposed)) continue;
      reports.push({
        spaceId,
        kind: 'meta-tool-clash',
        message: `Tool "${tool.name}" of server "${server.serverId}" is exposed as "${exposed}" in Space "${spaceId}", the name of a lean-mode meta-tool: lean clients see the meta-tool under that name and reach the server's tool only through mcpmux_call_tool. Give the installation another alias to avoid this.`,
      });
    }
  }
  return reports;
}

type Params = Record<string, unknown>;

/** A tool result carrying JSON both as text (for models) and as structured content. */
function jsonResult(value: Record<string, unknown>): Record<string, unknown> {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A tool execution error the model can read and act on. */
function toolError(text: string): Record<string, unknown> {
  return { content: [{ type: 'text', text }], isError: true };
}

function argumentsOf(params: Params): Params {
  const args = params.arguments;
  return args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Params) : {};
}

/** A meta-tool's answer and what its audit record says of it. */
interface Answer {
  result: Record<string, unknown>;
  decision: 'allow' | 'deny';
  /** `INVALID_INPUT` when the arguments were wrong (the result is a tool error saying so). */
  errorCode?: 'INVALID_INPUT';
  /** Search: how many tools it returned. */
  hits?: number;
  /** Describe: the tool asked about (as exposed). */
  requested?: string;
}

const invalid = (text: string): Answer => ({
  result: toolError(text),
  decision: 'allow',
  errorCode: 'INVALID_INPUT',
});

function search(view: View, args: Params): Answer {
  const query = args.query;
  if (typeof query !== 'string' || query.trim() === '') {
    return invalid(`${SEARCH_TOOLS} needs "query": the task in a few words, e.g. "read a file".`);
  }
  const limitArg = args.limit;
  if (
    limitArg !== undefined &&
    (typeof limitArg !== 'number' ||
      !Number.isInteger(limitArg) ||
      limitArg < 1 ||
      limitArg > MAX_SEARCH_LIMIT)
  ) {
    return invalid(
      `"limit" must be an integer from 1 to ${MAX_SEARCH_LIMIT} (default ${DEFAULT_SEARCH_LIMIT}).`,
    );
  }
  const limit = limitArg ?? DEFAULT_SEARCH_LIMIT;
  const includeSchema = args.includeSchema === true;
  const hits = searchIndexOf(view).search(query, limit);
  const tools = hits.map((hit) =>
    includeSchema
      ? { name: hit.name, description: hit.description, score: hit.score, inputSchema: hit.tool.inputSchema }
      : { name: hit.name, description: hit.description, score: hit.score },
  );
  if (tools.length === 0) {
    const text = `No tool matches "${query}". Try other words, or fewer of them.`;
    return {
      result: { content: [{ type: 'text', text }], structuredContent: { tools } },
      decision: 'allow',
      hits: 0,
    };
  }
  return { result: jsonResult({ tools }), decision: 'allow', hits: tools.length };
}

function describe(view: View, args: Params): Answer {
  const name = args.name;
  if (typeof name !== 'string' || name === '') {
    return invalid(`${DESCRIBE_TOOL} needs "name": a tool name from ${SEARCH_TOOLS}.`);
  }
  // The same lookup a call makes: only a tool the client may use in its Space is found.
  const tool = view.toolRoutes.has(name) ? view.tools.find((t) => t.name === name) : undefined;
  if (tool === undefined) {
    const text = `Unknown tool: ${name}. Find tools with ${SEARCH_TOOLS} (e.g. {"query": "what you want to do"}).`;
    return { result: toolError(text), decision: 'deny', requested: name };
  }
  const definition: Record<string, unknown> = { name: tool.name };
  if (tool.title !== undefined) definition.title = tool.title;
  definition.description = tool.description ?? '';
  definition.inputSchema = tool.inputSchema;
  if (tool.outputSchema !== undefined) definition.outputSchema = tool.outputSchema;
  if (tool.annotations !== undefined) definition.annotations = tool.annotations;
  return { result: jsonResult(definition), decision: 'allow', requested: name };
}

/**
 * The params of the direct `tools/call` that `mcpmux_call_tool` stands for: the inner name and
 * arguments, with everything else of the request (its `_meta` and progress token) kept.
 * @throws `INVALID_INPUT` (-32602) without a tool name.
 */
export function unwrapCall(params: Params): Params & { name: string } {
  const args = argumentsOf(params);
  const name = args.name;
  if (typeof name !== 'string' || name === '') {
    throw new McpmuxError(
      'INVALID_INPUT',
      `${CALL_TOOL} needs "name": the name of a tool from ${SEARCH_TOOLS}, and its "arguments" as an object.`,
      { data: { field: 'arguments.name' } },
    );
  }
  const inner = args.arguments;
  if (inner !== undefined && (inner === null || typeof inner !== 'object' || Array.isArray(inner))) {
    throw new McpmuxError('INVALID_INPUT', `${CALL_TOOL}: "arguments" must be an object.`, {
      data: { field: 'arguments.arguments' },
    });
  }
  const out: Params & { name: string } = { ...params, name };
  if (inner === undefined) delete out.arguments;
  else out.arguments = inner;
  return out;
}

/**
 * What a meta-tool the gateway answers itself (search, describe) leaves in the audit log and the
 * call log: the meta-tool's name, the decision, the outcome and duration, the number of hits of a
 * search and the tool name a describe asked about; never the query or any other argument (no call
 * record carries arguments). `mcpmux_call_tool` leaves none of its own: it is audited as the direct
 * call of the real tool.
 */
export interface MetaToolRecord {
  /** `mcpmux_search_tools` or `mcpmux_describe_tool`. */
  name: string;
  /** `deny`: a describe of a tool the client may not use (or that does not exist). */
  decision: 'allow' | 'deny';
  /** `error`: the answer is a tool error (wrong arguments, unknown tool). */
  outcome: 'ok' | 'error';
  /** `INVALID_INPUT` for wrong arguments. */
  errorCode?: string;
  durationMs: number;
  /** Search: how many tools it returned. */
  hits?: number;
  /** Describe: the tool asked about, as exposed. */
  requested?: string;
}

/** What {@link answerMetaTool} needs of the request it serves. */
export interface MetaToolContext {
  clientId: string;
  /** The Space it is served in ('' when none). */
  spaceId: string;
  /** The request's `_meta` (trace context). */
  meta: unknown;
  /** Queues the audit record and call event (see {@link auditMetaTool}). */
  record: (entry: MetaToolRecord) => void;
}

/**
 * Answers `mcpmux_search_tools` or `mcpmux_describe_tool` from the caller's view, inside a request
 * span like a direct call's (`tools/call <meta-tool>`, no server), and records it (see
 * {@link MetaToolRecord}). The duration counts the wait for the view.
 */
export async function answerMetaTool(
  params: Params & { name: string },
  view: () => Promise<View>,
  context: MetaToolContext,
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const span = startRequestSpan('tools/call', params.name, context.meta, context);
  let answer: Answer;
  try {
    const listed = await view();
    const args = argumentsOf(params);
    answer = params.name === SEARCH_TOOLS ? search(listed, args) : describe(listed, args);
  } catch (err) {
    span.end({ serverId: undefined, outcome: 'error', decision: 'allow' }, err);
    throw err;
  }
  const outcome = answer.errorCode !== undefined || answer.decision === 'deny' ? 'error' : 'ok';
  const entry: MetaToolRecord = {
    name: params.name,
    decision: answer.decision,
    outcome,
    durationMs: Math.max(0, performance.now() - started),
  };
  if (answer.errorCode !== undefined) entry.errorCode = answer.errorCode;
  if (answer.hits !== undefined) entry.hits = answer.hits;
  if (answer.requested !== undefined) entry.requested = answer.requested;
  context.record(entry);
  span.end({ serverId: undefined, outcome, decision: answer.decision });
  return answer.result;
}

/** What {@link auditMetaTool} writes to. */
export interface MetaToolAuditDeps {
  audit: { push(event: AuditEventInput): void };
  now: () => number;
  observe: Observe;
}

/**
 * Queues the audit record (action `tools/call`, no `feature`: no server's feature was used;
 * `detail.metaTool`, and `detail.hits` or `detail.requested`) and the observer's call event (name =
 * the meta-tool, no server; `hits` for a search) of one meta-tool answer.
 */
export function auditMetaTool(
  deps: MetaToolAuditDeps,
  caller: { clientId: string; sessionId: string; spaceId: string },
  entry: MetaToolRecord,
  requestId: string | number,
): void {
  const detail: Record<string, unknown> = { metaTool: entry.name };
  if (entry.hits !== undefined) detail.hits = entry.hits;
  if (entry.requested !== undefined) detail.requested = { kind: 'tool', name: entry.requested };
  if (entry.errorCode !== undefined) detail.errorCode = entry.errorCode;
  const event: AuditEventInput = {
    at: new Date(deps.now()),
    action: 'tools/call',
    clientId: caller.clientId,
    decision: entry.decision,
    outcome: entry.outcome,
    durationMs: entry.durationMs,
    detail,
  };
  if (caller.spaceId !== '') event.spaceId = caller.spaceId;
  deps.audit.push(event);
  deps.observe('call', {
    method: 'tools/call',
    kind: 'tool',
    name: entry.name,
    clientId: caller.clientId,
    sessionId: caller.sessionId,
    requestId,
    spaceId: caller.spaceId === '' ? undefined : caller.spaceId,
    serverId: undefined,
    decision: entry.decision,
    outcome: entry.outcome,
    ...(entry.errorCode === undefined ? {} : { errorCode: entry.errorCode }),
    ...(entry.hits === undefined ? {} : { hits: entry.hits }),
    durationMs: entry.durationMs,
  });
}

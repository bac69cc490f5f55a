/**
 * Lean mode (DESIGN §14): a lean client's `tools/list` shows three meta-tools, search, describe and
 * call, plus the tools pinned to it, instead of every tool it may use. Everything here works from the
 * caller's resolved view alone (no session state), so it serves 2025 sessions and 2026-07-28
 * stateless requests alike; a call through `mcpmux_call_tool` is handed back to the direct call path
 * (same allow check, audit record, routing, errors, progress and cancellation).
 */
import { McpmuxError } from '@mcpmux/core';
import type { Tool } from '@modelcontextprotocol/server';
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

function search(view: View, args: Params): Record<string, unknown> {
  const query = args.query;
  if (typeof query !== 'string' || query.trim() === '') {
    return toolError(`${SEARCH_TOOLS} needs "query": the task in a few words, e.g. "read a file".`);
  }
  const limitArg = args.limit;
  if (
    limitArg !== undefined &&
    (typeof limitArg !== 'number' ||
      !Number.isInteger(limitArg) ||
      limitArg < 1 ||
      limitArg > MAX_SEARCH_LIMIT)
  ) {
    return toolError(
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
    return { content: [{ type: 'text', text }], structuredContent: { tools } };
  }
  return jsonResult({ tools });
}

function describe(view: View, args: Params): Record<string, unknown> {
  const name = args.name;
  if (typeof name !== 'string' || name === '') {
    return toolError(`${DESCRIBE_TOOL} needs "name": a tool name from ${SEARCH_TOOLS}.`);
  }
  // The same lookup a call makes: only a tool the client may use in its Space is found.
  const tool = view.toolRoutes.has(name) ? view.tools.find((t) => t.name === name) : undefined;
  if (tool === undefined) {
    return toolError(
      `Unknown tool: ${name}. Find tools with ${SEARCH_TOOLS} (e.g. {"query": "what you want to do"}).`,
    );
  }
  const definition: Record<string, unknown> = { name: tool.name };
  if (tool.title !== undefined) definition.title = tool.title;
  definition.description = tool.description ?? '';
  definition.inputSchema = tool.inputSchema;
  if (tool.outputSchema !== undefined) definition.outputSchema = tool.outputSchema;
  if (tool.annotations !== undefined) definition.annotations = tool.annotations;
  return jsonResult(definition);
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
 * Answers a `tools/call` of a meta-tool for a lean view: search and describe from the view, a call
 * through `callDirect` (the direct `tools/call` path, given the unwrapped params).
 */
export function callMetaTool(
  view: View,
  params: Params & { name: string },
  callDirect: (params: Params & { name: string }) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  if (params.name === CALL_TOOL) return callDirect(unwrapCall(params));
  const args = argumentsOf(params);
  return Promise.resolve(params.name === SEARCH_TOOLS ? search(view, args) : describe(view, args));
}

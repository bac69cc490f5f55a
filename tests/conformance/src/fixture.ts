import { randomUUID } from 'node:crypto';
import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  type ElicitRequestFormParams,
  fromJsonSchema,
  type GetPromptResult,
  type InputRequests,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type RegisteredPrompt,
  ResourceTemplate,
  type ServerContext,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

/** A 1x1 red PNG. */
export const RED_PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A 44-byte WAV header with no samples (8 kHz, mono, 8-bit). */
export const SILENT_WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';

/** Options of {@link createFixtureServer}. */
export interface FixtureOptions {
  /**
   * The `subscriptions/listen` bus of the HTTP entry (`createMcpHandler(...).notify`): the trigger
   * tools publish list changes onto it for 2026-07-28 listeners. Absent over stdio.
   */
  notify?: ServerNotifier;
}

/**
 * The names of every tool of the fixture: the suite's contract for both spec versions (2025-11-25
 * push-style tools, 2026-07-28 `input_required` and stateless diagnostic tools).
 */
export const FIXTURE_TOOLS = [
  'test_simple_text',
  'test_image_content',
  'test_audio_content',
  'test_embedded_resource',
  'test_multiple_content_types',
  'test_tool_with_logging',
  'test_tool_with_progress',
  'test_error_handling',
  'test_sampling',
  'test_elicitation',
  'test_elicitation_sep1034_defaults',
  'test_elicitation_sep1330_enums',
  'json_schema_2020_12_tool',
  'test_reconnection',
  'test_x_mcp_header',
  'test_missing_capability',
  'test_streaming_elicitation',
  'test_logging_tool',
  'test_input_required_result_elicitation',
  'test_input_required_result_sampling',
  'test_input_required_result_list_roots',
  'test_input_required_result_request_state',
  'test_input_required_result_multiple_inputs',
  'test_input_required_result_multi_round',
  'test_input_required_result_tampered_state',
  'test_input_required_result_capabilities',
  'test_trigger_tool_change',
  'test_trigger_prompt_change',
] as const;

// `requestState` comes back from the client: it is sealed with a per-process HMAC key and checked
// by the server's `requestState.verify` hook before any handler runs (the 2026 path builds a fresh
// server per request, so the state is the only thing that survives between rounds).
const stateCodec = createRequestStateCodec<Record<string, unknown>>({
  key: crypto.getRandomValues(new Uint8Array(32)),
});

/**
 * How often the trigger tools changed the tool and prompt lists. The trigger tools change a marker
 * tool's and a marker prompt's description before they announce the change, as a real server does:
 * a gateway in front passes on real changes only. Per process, so the per-request 2026 servers agree.
 */
const listVersions = { tools: 0, prompts: 0 };
const promptMarkers = new WeakMap<McpServer, RegisteredPrompt>();

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const noArgs = z.object({});
type ToolResult = Promise<CallToolResult | InputRequiredResult>;

/** The text of a sampling answer in `inputResponses[key]`, or `undefined` when there is none. */
function samplingText(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'sampling') return undefined;
  const content = view.result.content;
  return !Array.isArray(content) && content.type === 'text' ? content.text : JSON.stringify(content);
}

/** Describes an elicitation answer (`action=accept, content={...}`), or `undefined` when missing. */
function elicitationSummary(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'elicit') return undefined;
  return `action=${view.action}, content=${JSON.stringify(view.content ?? {})}`;
}

const COMPLETIONS: Record<string, string[]> = {
  arg1: ['paris', 'park', 'party'],
  arg2: ['red', 'green', 'blue'],
  resourceUri: ['test://static-text', 'test://static-binary'],
  id: ['1', '2', '123'],
};

function registerContentTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns one text block.' }, async () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool('test_image_content', { description: 'Returns a PNG image.' }, async () => ({
    content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns a WAV clip.' }, async () => ({
    content: [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }],
  }));
  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded text resource.' },
    async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, an image and a resource.' },
    async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: '{"test":"data","value":123}',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log messages while it runs.', inputSchema: noArgs },
    async (_args, ctx) => {
      for (const [i, data] of [
        'Tool execution started',
        'Tool processing data',
        'Tool execution completed',
      ].entries()) {
        if (i > 0) await delay(50);
        await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data } });
      }
      return text('Logging tool finished.');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100.', inputSchema: noArgs },
    async (_args, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      // Progress only for a client-supplied token (the spec forbids it otherwise).
      if (progressToken !== undefined) {
        for (const progress of [0, 50, 100]) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100 },
          });
          if (progress < 100) await delay(50);
        }
      }
      return text('Progress tool finished.');
    },
  );
  server.registerTool('test_error_handling', { description: 'Always fails with isError.' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }));
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: fromJsonSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: {
          address: {
            $anchor: 'addressDef',
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } },
          },
        },
        properties: {
          name: { type: 'string' },
          address: { $ref: '#/$defs/address' },
          contactMethod: { type: 'string', enum: ['phone', 'email'] },
          phone: { type: 'string' },
          email: { type: 'string' },
        },
        allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
        if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
        // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema 2020-12 keyword
        then: { required: ['phone'] },
        else: { required: ['email'] },
        additionalProperties: false,
      }),
    },
    async (args) => text(`Received: ${JSON.stringify(args)}`),
  );
  server.registerTool(
    'test_reconnection',
    {
      description: 'Closes its SSE stream before answering, so the client resumes with Last-Event-ID.',
      inputSchema: noArgs,
    },
    async (_args, ctx) => {
      // Over sessionful HTTP with an event store, end the POST stream first: the client reconnects
      // with Last-Event-ID and receives the result replayed. Elsewhere there is no stream to close.
      ctx.http?.closeSSE?.();
      await delay(100);
      return text('Reconnection tool finished.');
    },
  );
}

type FormProperties = ElicitRequestFormParams['requestedSchema']['properties'];

/**
 * Elicits one form (key `form`) and, once answered, returns `<prefix>: action=..., content={...}`.
 * Only the fields listed in `required` are required.
 */
async function elicitForm(
  ctx: ServerContext,
  prefix: string,
  message: string,
  properties: FormProperties,
  required?: string[],
): ToolResult {
  const answer = elicitationSummary(ctx, 'form');
  if (answer !== undefined) return text(`${prefix}: ${answer}`);
  return inputRequired({
    inputRequests: {
      form: inputRequired.elicit({
        message,
        requestedSchema: { type: 'object', properties, ...(required && { required }) },
      }),
    },
  });
}

/**
 * The 2025-11-25 server-to-client tools, written in the `input_required` style: on 2026-07-28 the
 * result goes to the client; on a 2025 connection the SDK's legacy shim sends the real
 * `sampling/createMessage` / `elicitation/create` requests and re-enters the handler.
 */
function registerPushStyleTools(server: McpServer): void {
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample an LLM message.',
      inputSchema: z.object({ prompt: z.string().describe('The prompt for the LLM') }),
    },
    async ({ prompt }, ctx): ToolResult => {
      const reply = samplingText(ctx, 'llm');
      if (reply !== undefined) return text(`LLM response: ${reply}`);
      return inputRequired({
        inputRequests: {
          llm: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
            maxTokens: 100,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for a username and an email.',
      inputSchema: z.object({ message: z.string().describe('The message to show the user') }),
    },
    async ({ message }, ctx) =>
      elicitForm(
        ctx,
        'User response',
        message,
        {
          username: { type: 'string', description: "User's response" },
          email: { type: 'string', description: "User's email address" },
        },
        ['username', 'email'],
      ),
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits a form whose primitive fields all carry defaults.', inputSchema: noArgs },
    async (_args, ctx) =>
      elicitForm(ctx, 'Elicitation completed', 'Please confirm these values.', {
        name: { type: 'string', default: 'John Doe' },
        age: { type: 'integer', default: 30 },
        score: { type: 'number', default: 95.5 },
        status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
        verified: { type: 'boolean', default: true },
      }),
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicits a form with the five enum variants.', inputSchema: noArgs },
    async (_args, ctx) =>
      elicitForm(ctx, 'Elicitation completed', 'Please pick some options.', {
        untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        titledSingle: {
          type: 'string',
          oneOf: [
            { const: 'value1', title: 'First Option' },
            { const: 'value2', title: 'Second Option' },
            { const: 'value3', title: 'Third Option' },
          ],
        },
        legacyEnum: {
          type: 'string',
          enum: ['opt1', 'opt2', 'opt3'],
          enumNames: ['Option One', 'Option Two', 'Option Three'],
        },
        untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
        titledMulti: {
          type: 'array',
          items: {
            anyOf: [
              { const: 'value1', title: 'First Choice' },
              { const: 'value2', title: 'Second Choice' },
              { const: 'value3', title: 'Third Choice' },
            ],
          },
        },
      }),
  );
}

const NAME_FORM = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const } },
  required: ['name'],
};
const CONFIRM_FORM = {
  type: 'object' as const,
  properties: { ok: { type: 'boolean' as const } },
  required: ['ok'],
};

/** The 2026-07-28 `input-required-result-*` and `server-stateless` tools (names fixed by the suite). */
function registerInputRequiredTools(server: McpServer, options: FixtureOptions): void {
  server.registerTool(
    'test_x_mcp_header',
    {
      description: 'Mirrors its region argument into the Mcp-Param-Region header (SEP-2243).',
      inputSchema: fromJsonSchema<{ region?: string; level?: number }>({
        type: 'object',
        properties: {
          // `x-mcp-header` is a SEP-2243 annotation the JSON Schema type does not know.
          region: {
            type: 'string',
            description: 'mirrored into Mcp-Param-Region',
            'x-mcp-header': 'Region',
          } as {
            type: 'string';
          },
          level: { type: 'integer', description: 'not mirrored' },
        },
      }),
    },
    async (args) => text(`region=${args.region ?? '<none>'}`),
  );
  server.registerTool(
    'test_missing_capability',
    {
      description: 'Needs the sampling client capability (a caller without it gets -32021).',
      inputSchema: noArgs,
    },
    async (_args, ctx): ToolResult => {
      if (ctx.mcpReq.inputResponses?.llm_answer !== undefined) return text('sampling round-trip complete');
      return inputRequired({
        inputRequests: {
          llm_answer: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Reply with the single word: pong' } }],
            maxTokens: 16,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Answers with result frames only, no top-level requests.', inputSchema: noArgs },
    async () => text('stream observed: result frames only'),
  );
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs through the per-request, logLevel-gated channel.', inputSchema: noArgs },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran');
      return text('logged through the request-scoped channel');
    },
  );
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for the caller name with an input_required elicitation.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'user_name')?.name;
      if (typeof name === 'string') return text(`Hello, ${name}!`);
      return inputRequired({
        inputRequests: {
          user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_FORM }),
        },
      });
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    {
      description: 'Asks for an LLM completion with an input_required sampling request.',
      inputSchema: noArgs,
    },
    async (_args, ctx): ToolResult => {
      const answer = ctx.mcpReq.inputResponses?.capital_question as
        | { content?: { text?: unknown } }
        | undefined;
      if (answer !== undefined) {
        const value = typeof answer.content?.text === 'string' ? answer.content.text : JSON.stringify(answer);
        return text(`Sampling response: ${value}`);
      }
      return inputRequired({
        inputRequests: {
          capital_question: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
            maxTokens: 100,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    {
      description: 'Asks for the client roots with an input_required roots/list request.',
      inputSchema: noArgs,
    },
    async (_args, ctx): ToolResult => {
      const roots = (ctx.mcpReq.inputResponses?.client_roots as { roots?: { uri?: string }[] } | undefined)
        ?.roots;
      if (!Array.isArray(roots)) {
        return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      }
      return text(`Client exposed ${roots.length} root(s): ${roots.map((r) => r.uri).join(', ')}`);
    },
  );
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Round-trips a sealed requestState alongside an elicitation.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      if (acceptedContent(ctx.mcpReq.inputResponses, 'confirm') === undefined) {
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: CONFIRM_FORM }),
          },
          requestState: await stateCodec.mint({ tool: 'request_state', nonce: randomUUID() }),
        });
      }
      if (ctx.mcpReq.requestState() === undefined) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          'Invalid requestState: missing or not verified',
        );
      }
      return text('state-ok: requestState verified and confirmation received');
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for an elicitation, a sampling and the roots in one round.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      const responses = ctx.mcpReq.inputResponses;
      const name = acceptedContent<{ name: string }>(responses, 'user_name')?.name;
      const greeting = (responses?.greeting as { content?: { text?: unknown } } | undefined)?.content?.text;
      const roots = (responses?.client_roots as { roots?: unknown[] } | undefined)?.roots;
      if (typeof name === 'string' && typeof greeting === 'string' && Array.isArray(roots)) {
        return text(`${greeting} ${name}: ${roots.length} root(s) visible`);
      }
      return inputRequired({
        inputRequests: {
          user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_FORM }),
          greeting: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
            maxTokens: 50,
          }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await stateCodec.mint({ tool: 'multiple_inputs', nonce: randomUUID() }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Two elicitation rounds with an evolving requestState.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      const state = ctx.mcpReq.requestState<Record<string, unknown>>();
      const round = state?.tool === 'multi_round' && typeof state.round === 'number' ? state.round : 0;
      if (round === 0) {
        return inputRequired({
          inputRequests: {
            step1: inputRequired.elicit({
              message: 'Step 1: What is your name?',
              requestedSchema: NAME_FORM,
            }),
          },
          requestState: await stateCodec.mint({ tool: 'multi_round', round: 1, nonce: randomUUID() }),
        });
      }
      if (round === 1) {
        const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'step1')?.name ?? 'unknown';
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: {
                type: 'object',
                properties: { color: { type: 'string' } },
                required: ['color'],
              },
            }),
          },
          requestState: await stateCodec.mint({ tool: 'multi_round', round: 2, name, nonce: randomUUID() }),
        });
      }
      const color =
        acceptedContent<{ color: string }>(ctx.mcpReq.inputResponses, 'step2')?.color ?? 'unknown';
      return text(`Multi-round complete: ${String(state?.name ?? 'unknown')} likes ${color}`);
    },
  );
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Rejects a retry whose requestState fails verification.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      if (
        ctx.mcpReq.requestState() !== undefined &&
        acceptedContent(ctx.mcpReq.inputResponses, 'confirm') !== undefined
      ) {
        return text('integrity-ok: requestState verified');
      }
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({ message: 'Please confirm', requestedSchema: CONFIRM_FORM }),
        },
        requestState: await stateCodec.mint({ tool: 'tampered_state', nonce: randomUUID() }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Requests only the input kinds the caller declared.', inputSchema: noArgs },
    async (_args, ctx): ToolResult => {
      if (ctx.mcpReq.inputResponses !== undefined) return text('Capability-aware input requests fulfilled');
      // The published `RequestMetaEnvelope` type is empty: read the declared capabilities by key.
      const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
      const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] as
        | { elicitation?: unknown; sampling?: unknown; roots?: unknown }
        | undefined;
      const inputRequests: InputRequests = {};
      if (declared?.elicitation !== undefined) {
        inputRequests.user_name = inputRequired.elicit({
          message: 'What is your name?',
          requestedSchema: NAME_FORM,
        });
      }
      if (declared?.sampling !== undefined) {
        inputRequests.greeting = inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Generate a short greeting' } }],
          maxTokens: 50,
        });
      }
      if (declared?.roots !== undefined) inputRequests.client_roots = inputRequired.listRoots();
      if (Object.keys(inputRequests).length === 0) {
        return text('No declared client capability supports an input request');
      }
      return inputRequired({ inputRequests });
    },
  );
  const toolMarker = server.registerTool(
    'test_tool_list_marker',
    { description: `Tool list version ${listVersions.tools}.`, inputSchema: noArgs },
    async () => text(String(listVersions.tools)),
  );
  server.registerTool(
    'test_trigger_tool_change',
    {
      description: 'Changes the tool list (the marker tool) and announces tools/list_changed.',
      inputSchema: noArgs,
    },
    async () => {
      listVersions.tools++;
      toolMarker.update({ description: `Tool list version ${listVersions.tools}.` });
      options.notify?.toolsChanged();
      if (options.notify === undefined) server.sendToolListChanged();
      return text('tools_list_changed published');
    },
  );
  server.registerTool(
    'test_trigger_prompt_change',
    {
      description: 'Changes the prompt list (the marker prompt) and announces prompts/list_changed.',
      inputSchema: noArgs,
    },
    async () => {
      listVersions.prompts++;
      promptMarkers.get(server)?.update({ description: `Prompt list version ${listVersions.prompts}.` });
      options.notify?.promptsChanged();
      if (options.notify === undefined) server.sendPromptListChanged();
      return text('prompts_list_changed published');
    },
  );
}

function registerResources(server: McpServer, subscriptions: Set<string>): void {
  const fixed = (
    name: string,
    uri: string,
    description: string,
    mimeType: string,
    body: ReadResourceResult,
  ) => server.registerResource(name, uri, { description, mimeType }, async () => body);
  fixed('static-text', 'test://static-text', 'A static text resource.', 'text/plain', {
    contents: [
      {
        uri: 'test://static-text',
        mimeType: 'text/plain',
        text: 'This is the content of the static text resource.',
      },
    ],
  });
  fixed('static-binary', 'test://static-binary', 'A static PNG resource.', 'image/png', {
    contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: RED_PIXEL_PNG }],
  });
  fixed(
    'watched-resource',
    'test://watched-resource',
    'A resource that accepts subscriptions.',
    'text/plain',
    {
      contents: [
        { uri: 'test://watched-resource', mimeType: 'text/plain', text: 'Watched resource content.' },
      ],
    },
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'JSON data for an id.', mimeType: 'application/json' },
    async (uri, variables): Promise<ReadResourceResult> => {
      const id = String(variables.id ?? '');
      return {
        contents: [
          {
            uri: uri.toString(),
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    },
  );
  // 2025-11-25 only: the SDK leaves these methods out of the 2026-07-28 registry.
  server.server.setRequestHandler('resources/subscribe', async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });
}

function registerPrompts(server: McpServer): void {
  promptMarkers.set(
    server,
    server.registerPrompt(
      'test_prompt_list_marker',
      { description: `Prompt list version ${listVersions.prompts}.` },
      async () => ({
        messages: [{ role: 'user', content: { type: 'text', text: String(listVersions.prompts) } }],
      }),
    ),
  );
  server.registerPrompt(
    'test_simple_prompt',
    { description: 'A prompt without arguments.' },
    async (): Promise<GetPromptResult> => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments.',
      argsSchema: z.object({
        arg1: z.string().describe('First test argument'),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    async ({ arg1, arg2 }): Promise<GetPromptResult> => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds a resource.',
      argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
    },
    async ({ resourceUri }): Promise<GetPromptResult> => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { description: 'A prompt with an image.' },
    async (): Promise<GetPromptResult> => ({
      messages: [
        { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'Asks for a context with an input_required elicitation before rendering.' },
    async (ctx): Promise<GetPromptResult | InputRequiredResult> => {
      // Registered without argsSchema, the callback's only argument is the request context.
      const context = acceptedContent<{ context: string }>(
        (ctx as ServerContext).mcpReq.inputResponses,
        'user_context',
      )?.context;
      if (typeof context !== 'string') {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: {
                type: 'object',
                properties: { context: { type: 'string' } },
                required: ['context'],
              },
            }),
          },
        });
      }
      return {
        messages: [
          { role: 'user', content: { type: 'text', text: `Use the following context: ${context}` } },
        ],
      };
    },
  );
}

/**
 * Builds the fixture server written to the official conformance contract (suite 0.2.x, spec versions
 * 2025-11-25 and 2026-07-28): content, logging, progress, sampling and elicitation tools, the
 * `input_required` and stateless diagnostic tools, resources (one subscribable), a resource template,
 * prompts, completion and `logging/setLevel`. It is era-agnostic: the serving entry decides the era
 * (`serveStdio`, `createMcpHandler`, or a sessionful 2025 transport), so call it once per connection
 * or per request.
 *
 * @example
 * ```ts
 * serveStdio(() => createFixtureServer());
 * ```
 */
export function createFixtureServer(options: FixtureOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'mcpmux-conformance-fixture', version: '2.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        // Deprecated in 2026-07-28 (the per-request logLevel replaces it) but needed by 2025 clients.
        logging: {},
        completions: {},
      },
      requestState: { verify: stateCodec.verify },
    },
  );
  registerContentTools(server);
  registerPushStyleTools(server);
  registerInputRequiredTools(server, options);
  registerResources(server, new Set());
  registerPrompts(server);
  server.server.setRequestHandler('completion/complete', async (request) => {
    const { name, value } = request.params.argument;
    const values = (COMPLETIONS[name] ?? []).filter((v) => v.startsWith(value));
    return { completion: { values, total: values.length, hasMore: false } };
  });
  server.server.setRequestHandler('logging/setLevel', async () => ({}));
  return server;
}

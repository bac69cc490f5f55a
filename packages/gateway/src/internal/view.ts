import { createHash } from 'node:crypto';
import type { Feature, FeatureSet } from '@mcpmux/featuresets';
import { resolve } from '@mcpmux/featuresets/resolver';
import type { EffectiveServer } from '@mcpmux/space-store';
import {
  type Prompt,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  type Tool,
  UriTemplate,
} from '@modelcontextprotocol/server';
import type { LeanListing } from './lean/meta-tools.js';
import { exposedName } from './naming.js';
import type { UpstreamCatalog } from './upstream/types.js';

/** Where an exposed feature lives: the server (by id) and the name the server knows it by. */
export interface Route {
  readonly server: EffectiveServer;
  readonly serverId: string;
  /** The upstream's own name (tool/prompt), URI (resource) or URI template (template). */
  readonly name: string;
}

/** A resource template route with its compiled matcher. */
export interface TemplateRoute extends Route {
  readonly matcher: UriTemplate;
}

/** Fingerprints of the three effective lists, compared to decide which list_changed to send. */
export interface ViewFingerprints {
  tools: string;
  prompts: string;
  resources: string;
}

/** What one client may see and use in one Space right now, with the routing tables. */
export interface View {
  readonly clientId: string;
  readonly spaceId: string;
  readonly tools: Tool[];
  readonly toolRoutes: Map<string, Route>;
  readonly prompts: Prompt[];
  readonly promptRoutes: Map<string, Route>;
  readonly resources: Resource[];
  readonly resourceRoutes: Map<string, Route>;
  readonly templates: ResourceTemplate[];
  readonly templateRoutes: TemplateRoute[];
  /** Servers with at least one feature this client may use (log messages go only to these). */
  readonly visibleServers: Set<string>;
  readonly fingerprints: ViewFingerprints;
  /** Set when the client is in lean mode: what its `tools/list` shows instead of {@link tools}. */
  readonly lean?: LeanListing;
}

/** Space-level naming problems found while building views (resource clashes, ignored prefix opt-outs). */
export interface SpaceReport {
  spaceId: string;
  kind: 'resource-clash' | 'prefix-ignored' | 'meta-tool-clash';
  message: string;
}

export interface BuildViewInput {
  clientId: string;
  spaceId: string;
  /** The Space's effective servers (any order). */
  servers: EffectiveServer[];
  /** Live catalogs of the servers that currently contribute (by server id). */
  catalogs: ReadonlyMap<string, UpstreamCatalog>;
  featureSets: FeatureSet[];
  grants: string[];
}

/** Earlier-installed first; ties by server id so the order never depends on input order. */
export function orderServers(servers: readonly EffectiveServer[]): EffectiveServer[] {
  return [...servers].sort((a, b) => {
    const t = a.installedAt.getTime() - b.installedAt.getTime();
    if (t !== 0) return t;
    return a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0;
  });
}

/** A stable digest of a list as served (compared to decide on list_changed). */
export function fingerprint(items: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(items)).digest('base64url');
}

function toolAnnotations(tool: Tool): Feature['annotations'] {
  const a = tool.annotations;
  if (a === undefined) return undefined;
  const out: NonNullable<Feature['annotations']> = {};
  if (typeof a.readOnlyHint === 'boolean') out.readOnlyHint = a.readOnlyHint;
  if (typeof a.destructiveHint === 'boolean') out.destructiveHint = a.destructiveHint;
  if (typeof a.idempotentHint === 'boolean') out.idempotentHint = a.idempotentHint;
  if (typeof a.openWorldHint === 'boolean') out.openWorldHint = a.openWorldHint;
  return out;
}

/** The resolver's catalog for one server's live catalog (templates count as resources named by their template). */
export function catalogFeatures(serverId: string, catalog: UpstreamCatalog): Feature[] {
  const features: Feature[] = [];
  for (const tool of catalog.tools) {
    const annotations = toolAnnotations(tool);
    features.push(
      annotations === undefined
        ? { kind: 'tool', server: serverId, name: tool.name }
        : { kind: 'tool', server: serverId, name: tool.name, annotations },
    );
  }
  for (const prompt of catalog.prompts)
    features.push({ kind: 'prompt', server: serverId, name: prompt.name });
  for (const resource of catalog.resources)
    features.push({ kind: 'resource', server: serverId, name: resource.uri });
  for (const template of catalog.resourceTemplates) {
    features.push({ kind: 'resource', server: serverId, name: template.uriTemplate });
  }
  return features;
}

/**
 * Space-wide naming decisions: which server owns each resource URI / template, whether each server
 * is prefixed, and the problems to report. Independent of any client.
 */
export interface SpaceNaming {
  ordered: EffectiveServer[];
  prefixOf: Map<string, boolean>;
  /** URI or URI template -> owning server id (the earliest-installed server offering it). */
  resourceOwner: Map<string, string>;
  reports: SpaceReport[];
}

export function spaceNaming(
  spaceId: string,
  servers: readonly EffectiveServer[],
  catalogs: ReadonlyMap<string, UpstreamCatalog>,
): SpaceNaming {
  const ordered = orderServers(servers);
  const reports: SpaceReport[] = [];
  const prefixOf = new Map<string, boolean>();
  const alone = ordered.length === 1;
  for (const server of ordered) {
    const prefix = server.prefix || !alone;
    if (!server.prefix && !alone) {
      reports.push({
        spaceId,
        kind: 'prefix-ignored',
        message: `Server "${server.serverId}" opted out of prefixing, but it is not alone in Space "${spaceId}": its names keep the "${server.alias}_" prefix.`,
      });
    }
    prefixOf.set(server.serverId, prefix);
  }
  const resourceOwner = new Map<string, string>();
  for (const server of ordered) {
    const catalog = catalogs.get(server.serverId);
    if (catalog === undefined) continue;
    const claim = (uri: string, what: string) => {
      const owner = resourceOwner.get(uri);
      if (owner === undefined) resourceOwner.set(uri, server.serverId);
      else if (owner !== server.serverId) {
        reports.push({
          spaceId,
          kind: 'resource-clash',
          message: `${what} "${uri}" is offered by servers "${owner}" and "${server.serverId}" in Space "${spaceId}": it goes to "${owner}" (installed first).`,
        });
      }
    };
    for (const r of catalog.resources) claim(r.uri, 'Resource');
    for (const t of catalog.resourceTemplates) claim(t.uriTemplate, 'Resource template');
  }
  return { ordered, prefixOf, resourceOwner, reports };
}

/**
 * Builds one client's view of one Space: resolves its grants over the live catalog with
 * `@mcpmux/featuresets` and lays out the exposed lists and routing tables (DESIGN §6).
 */
export function buildView(input: BuildViewInput, naming: SpaceNaming): View {
  const { catalogs } = input;
  const catalog: Feature[] = [];
  for (const server of naming.ordered) {
    const c = catalogs.get(server.serverId);
    if (c !== undefined) catalog.push(...catalogFeatures(server.serverId, c));
  }
  const resolution = resolve({ catalog, featureSets: input.featureSets, grants: input.grants });

  const tools: Tool[] = [];
  const toolRoutes = new Map<string, Route>();
  const prompts: Prompt[] = [];
  const promptRoutes = new Map<string, Route>();
  const resources: Resource[] = [];
  const resourceRoutes = new Map<string, Route>();
  const templates: ResourceTemplate[] = [];
  const templateRoutes: TemplateRoute[] = [];
  const visibleServers = new Set<string>();

  for (const server of naming.ordered) {
    const c = catalogs.get(server.serverId);
    if (c === undefined) continue;
    const serverId = server.serverId;
    const prefix = naming.prefixOf.get(serverId) ?? true;
    // Tools and prompts: exposed under `<alias>_<name>`, everything else untouched.
    const expose = <T extends { name: string }>(
      kind: 'tool' | 'prompt',
      items: T[],
      out: T[],
      routes: Map<string, Route>,
    ) => {
      for (const item of items) {
        if (!resolution.allows({ kind, server: serverId, name: item.name })) continue;
        const name = exposedName(server.alias, item.name, prefix);
        if (routes.has(name)) continue;
        routes.set(name, { server, serverId, name: item.name });
        out.push(name === item.name ? item : { ...item, name });
        visibleServers.add(serverId);
      }
    };
    expose('tool', c.tools, tools, toolRoutes);
    expose('prompt', c.prompts, prompts, promptRoutes);
    for (const resource of c.resources) {
      if (naming.resourceOwner.get(resource.uri) !== serverId) continue;
      if (resourceRoutes.has(resource.uri)) continue;
      if (!resolution.allows({ kind: 'resource', server: serverId, name: resource.uri })) continue;
      resourceRoutes.set(resource.uri, { server, serverId, name: resource.uri });
      resources.push(resource);
      visibleServers.add(serverId);
    }
    for (const template of c.resourceTemplates) {
      const uriTemplate = template.uriTemplate;
      if (naming.resourceOwner.get(uriTemplate) !== serverId) continue;
      if (templateRoutes.some((t) => t.name === uriTemplate)) continue;
      if (!resolution.allows({ kind: 'resource', server: serverId, name: uriTemplate })) continue;
      let matcher: UriTemplate;
      try {
        matcher = new UriTemplate(uriTemplate);
      } catch {
        continue; // an invalid template can never match a read; do not expose it
      }
      templateRoutes.push({ server, serverId, name: uriTemplate, matcher });
      templates.push(template);
      visibleServers.add(serverId);
    }
  }

  return {
    clientId: input.clientId,
    spaceId: input.spaceId,
    tools,
    toolRoutes,
    prompts,
    promptRoutes,
    resources,
    resourceRoutes,
    templates,
    templateRoutes,
    visibleServers,
    fingerprints: {
      tools: fingerprint(tools),
      prompts: fingerprint(prompts),
      resources: fingerprint([resources, templates]),
    },
  };
}

/** The route for reading `uri`: a listed resource first, else the first matching template. */
export function resourceRoute(view: View, uri: string): Route | undefined {
  const direct = view.resourceRoutes.get(uri);
  if (direct !== undefined) return direct;
  for (const t of view.templateRoutes) {
    try {
      if (t.matcher.match(uri) !== null) return t;
    } catch {
      // an over-long URI matches nothing
    }
  }
  return undefined;
}

/** The route for a completion reference to a resource template (or a listed resource). */
export function templateRouteByTemplate(view: View, uriTemplate: string): Route | undefined {
  for (const t of view.templateRoutes) if (t.name === uriTemplate) return t;
  return view.resourceRoutes.get(uriTemplate);
}

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import type { ServerDefinition, SpaceStore } from '@mcpmux/space-store';
import { z } from 'zod';
import { CATALOG } from '../../operations/catalog.js';
import { requireServer, requireSpace } from '../../operations/lookup.js';
import { oauthStatus } from '../../operations/oauth-login.js';
import { checkSecretName, removeSecret, type SecretTarget } from '../../operations/secrets.js';
import { commitServerAdd, planServerAdd, refuseLiteralSecrets } from '../../operations/server-add.js';
import { deleteServerEverywhere, uninstallServer } from '../../operations/servers.js';
import type { AdminDeps } from '../deps.js';
import { type AdminRoute, route } from '../route.js';
import {
  CatalogRowSchema,
  InstallBody,
  SecretBody,
  SecretParams,
  ServerAddBody,
  ServerAddedSchema,
  ServerParams,
  ServerRowSchema,
  SignInStartedSchema,
  SignInStateSchema,
  SpaceParams,
  SpaceServerDetailSchema,
  SpaceServerParams,
  SpaceServerPatchBody,
  SpaceServerRowSchema,
} from '../schemas.js';

/** How many of the last stderr lines a server's detail shows. */
const LOG_LINES = 200;
const LOG_TAIL_BYTES = 64 * 1024;

/** A config value as the API shows it: the value when it is only `${secret:}`/`${env:}` references, else null. */
function shownValue(value: string): string | null {
  return /^(\$\{(secret|env):[^}]+\}\s*)+$/.test(value.replace(/^Bearer\s+/, '')) ? value : null;
}

function shownMap(map: Record<string, string> | undefined): Record<string, string | null> | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, shownValue(v)]));
}

function serverRow(d: ServerDefinition): z.infer<typeof ServerRowSchema> {
  const t = d.transport;
  return {
    id: d.id,
    name: d.name,
    ...(d.description === undefined ? {} : { description: d.description }),
    transport:
      t.type === 'stdio'
        ? { type: 'stdio', command: t.command, args: t.args, env: shownMap(t.env) ?? {} }
        : { type: t.type, url: t.url, headers: shownMap(t.headers) ?? {} },
    inputs: d.inputs.map((i) => ({
      name: i.name,
      ...(i.description === undefined ? {} : { description: i.description }),
      secret: i.secret,
    })),
    defaultEnabled: d.defaultEnabled,
    ...(d.timeoutSeconds === undefined ? {} : { timeoutSeconds: d.timeoutSeconds }),
  };
}

/** The Space's servers (running ones and disabled installations) with their live state. */
async function spaceServers(deps: AdminDeps, spaceId: string) {
  const { store } = deps;
  await requireSpace(store, spaceId);
  const [effective, installs, defs] = await Promise.all([
    store.effectiveServers(spaceId),
    store.listInstallations(spaceId),
    store.listServers(),
  ]);
  const upstreams = deps.gateway.status().upstreams.filter((u) => u.spaceId === spaceId);
  return defs.flatMap((d) => {
    const eff = effective.find((e) => e.serverId === d.id);
    const inst = installs.find((i) => i.serverId === d.id);
    if (!eff && !inst) return [];
    const up = upstreams.find((u) => u.serverId === d.id);
    return [
      {
        row: {
          id: d.id,
          name: d.name,
          alias: eff?.alias ?? inst?.alias ?? d.id,
          prefix: eff?.prefix ?? inst?.prefix ?? true,
          enabled: eff !== undefined,
          defaultEnabled: d.defaultEnabled,
          transport: d.transport.type,
          state: up?.state ?? 'idle',
          circuit: up?.state === 'circuit-open',
          restarts: up?.restarts ?? 0,
          ...(up?.lastError === undefined ? {} : { lastError: up.lastError }),
          ...(up?.protocolVersion === undefined ? {} : { protocolVersion: up.protocolVersion }),
          tools: up?.tools ?? 0,
          prompts: up?.prompts ?? 0,
          resources: up?.resources ?? 0,
        },
        installation: inst,
      },
    ];
  });
}

/** The last `LOG_LINES` lines of a server's stderr log in a Space (the gateway redacts what it writes). */
async function lastLogLines(logDir: string, spaceId: string, serverId: string): Promise<string[]> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(join(logDir, spaceId, `${serverId}.log`), 'r');
    const { size } = await handle.stat();
    const from = Math.max(0, size - LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    const lines = buffer.toString('utf8').split('\n');
    if (from > 0) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-LOG_LINES);
  } catch {
    return [];
  } finally {
    await handle?.close();
  }
}

/** The entries of an overrides patch that set a value (`null` removes a key and holds nothing to check). */
function setValues(map: Record<string, string | null> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter((e): e is [string, string] => e[1] !== null));
}

function secretTarget(space: string, server: string): SecretTarget {
  return space === '_default' ? { serverId: server, global: true } : { serverId: server, spaceId: space };
}

async function checkSecretSpace(store: SpaceStore, space: string): Promise<void> {
  if (space !== '_default') await requireSpace(store, space);
}

function signInsOf(deps: AdminDeps): NonNullable<AdminDeps['signIns']> {
  if (deps.signIns === undefined) {
    throw new McpmuxError(
      'NOT_FOUND',
      'This gateway does not run sign-ins: use `mcpmux login SERVER` instead.',
    );
  }
  return deps.signIns;
}

/** Catalog and server routes. */
export const serverRoutes: AdminRoute[] = [
  route({
    method: 'GET',
    path: '/catalog',
    summary: 'The bundled catalog of well-known servers (`mcpmux catalog`)',
    tag: 'Servers',
    status: 200,
    response: z.array(CatalogRowSchema),
    handler: async () =>
      CATALOG.map((e) => ({
        id: e.id,
        name: e.name,
        description: e.description,
        transport: e.transport.type,
        secrets: e.inputs.filter((i) => i.secret).map((i) => i.name),
        ...(e.hint === undefined ? {} : { hint: e.hint }),
      })),
  }),
  route({
    method: 'GET',
    path: '/servers',
    summary: 'Server definitions (env and header values only when they are references)',
    tag: 'Servers',
    status: 200,
    response: z.array(ServerRowSchema),
    handler: async ({ deps }) => (await deps.store.listServers()).map(serverRow),
  }),
  route({
    method: 'POST',
    path: '/servers',
    summary:
      'Add a server from the catalog or a transport, into a Space or default-enabled (same checks as `mcpmux server add`)',
    tag: 'Servers',
    status: 201,
    body: ServerAddBody,
    response: ServerAddedSchema,
    handler: async ({ body, deps }) => {
      const t = body.transport;
      const plan = await planServerAdd(deps.store, deps.vault, {
        id: body.id,
        ...(body.catalogId === undefined ? {} : { catalogId: body.catalogId }),
        ...(t?.type === 'stdio'
          ? { command: t.command, ...(t.args === undefined ? {} : { args: t.args }), env: t.env ?? {} }
          : {}),
        ...(t !== undefined && t.type !== 'stdio'
          ? { url: t.url, transport: t.type, headers: t.headers ?? {} }
          : {}),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.alias === undefined ? {} : { alias: body.alias }),
        ...(body.prefix === undefined ? {} : { prefix: body.prefix }),
        ...(body.timeoutSeconds === undefined ? {} : { timeoutSeconds: body.timeoutSeconds }),
        ...(body.spaceId === undefined ? {} : { spaceId: body.spaceId }),
        ...(body.defaultEnabled === undefined ? {} : { defaultEnabled: body.defaultEnabled }),
      });
      await commitServerAdd(deps.store, plan);
      return {
        id: plan.id,
        spaceId: plan.defaultEnabled ? null : plan.space.id,
        defaultEnabled: plan.defaultEnabled,
        created: plan.definition !== undefined,
        missingSecrets: plan.missingSecrets.map((s) => ({
          name: s.name,
          ...(s.description === undefined ? {} : { description: s.description }),
        })),
      };
    },
  }),
  route({
    method: 'DELETE',
    path: '/servers/:server',
    summary: 'Delete a server definition from every Space, with its secrets',
    tag: 'Servers',
    status: 204,
    params: ServerParams,
    handler: async ({ params, deps }) => {
      await deleteServerEverywhere(deps.store, deps.vault, params.server);
      return undefined;
    },
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/servers',
    summary: 'The servers of a Space with their live state',
    tag: 'Servers',
    status: 200,
    params: SpaceParams,
    response: z.array(SpaceServerRowSchema),
    handler: async ({ params, deps }) => (await spaceServers(deps, params.space)).map((s) => s.row),
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/servers/:server',
    summary: 'One server of a Space: state, overrides, discovered features, secret names, recent stderr log',
    tag: 'Servers',
    status: 200,
    params: SpaceServerParams,
    response: SpaceServerDetailSchema,
    handler: async ({ params, deps }) => {
      const { store, vault } = deps;
      await requireServer(store, params.server);
      const found = (await spaceServers(deps, params.space)).find((s) => s.row.id === params.server);
      if (found === undefined) {
        throw new McpmuxError(
          'NOT_FOUND',
          `Server "${params.server}" is not in Space "${params.space}". Install it with \`mcpmux server add ${params.server} --space ${params.space}\`.`,
          { data: { entity: 'installation', id: params.server } },
        );
      }
      const [discovered, secrets, log, oauth] = await Promise.all([
        store.listDiscovered(params.space, { serverId: params.server }),
        vault.list({ serverId: params.server }),
        lastLogLines(deps.logDir, params.space, params.server),
        found.row.transport === 'http' ? oauthStatus(vault, params.space, params.server) : undefined,
      ]);
      const o = found?.installation?.overrides ?? {};
      return {
        ...found.row,
        overrides: {
          ...(o.args === undefined ? {} : { args: o.args }),
          ...(o.env === undefined ? {} : { env: shownMap(o.env) }),
          ...(o.headers === undefined ? {} : { headers: shownMap(o.headers) }),
          ...(o.timeoutSeconds === undefined ? {} : { timeoutSeconds: o.timeoutSeconds }),
        },
        features: discovered.map((f) => {
          const annotations = (f.definition as { annotations?: Record<string, unknown> } | undefined)
            ?.annotations;
          return {
            kind: f.kind,
            name: f.name,
            ...(f.description === undefined ? {} : { description: f.description }),
            available: f.available,
            ...(annotations === undefined ? {} : { annotations }),
          };
        }),
        secrets: secrets
          .filter((s) => 'global' in s.scope || s.scope.spaceId === params.space)
          .map((s) => ({ name: s.name, scope: 'global' in s.scope ? 'global' : s.scope.spaceId })),
        log,
        ...(oauth === undefined ? {} : { oauth }),
      };
    },
  }),
  route({
    method: 'PUT',
    path: '/spaces/:space/servers/:server',
    summary: 'Install a defined server into a Space (optionally with an alias)',
    tag: 'Servers',
    status: 204,
    params: SpaceServerParams,
    body: InstallBody,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      await requireServer(deps.store, params.server);
      await deps.store.install(params.space, params.server, {
        ...(body?.alias === undefined ? {} : { alias: body.alias }),
        ...(body?.prefix === undefined ? {} : { prefix: body.prefix }),
      });
      return undefined;
    },
  }),
  route({
    method: 'DELETE',
    path: '/spaces/:space/servers/:server',
    summary: 'Uninstall a server from a Space, with its secrets there',
    tag: 'Servers',
    status: 204,
    params: SpaceServerParams,
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      await uninstallServer(deps.store, deps.vault, params.space, params.server);
      return undefined;
    },
  }),
  route({
    method: 'PATCH',
    path: '/spaces/:space/servers/:server',
    summary:
      'Enable or disable a server in a Space (also a default-enabled one, locally), and change its per-Space env or header overrides (merged into the current ones; null removes a key; credentials only as secret references)',
    tag: 'Servers',
    status: 204,
    params: SpaceServerParams,
    body: SpaceServerPatchBody,
    handler: async ({ params, body, deps }) => {
      await requireSpace(deps.store, params.space);
      await requireServer(deps.store, params.server);
      refuseLiteralSecrets(setValues(body.env), '--env', params.server);
      refuseLiteralSecrets(setValues(body.headers), '--header', params.server);
      if (body.env !== undefined || body.headers !== undefined) {
        await deps.store.updateInstallation(params.space, params.server, {
          overrides: {
            ...(body.env === undefined ? {} : { env: body.env }),
            ...(body.headers === undefined ? {} : { headers: body.headers }),
          },
        });
      }
      if (body.enabled !== undefined) await deps.store.setEnabled(params.space, params.server, body.enabled);
      return undefined;
    },
  }),
  route({
    method: 'POST',
    path: '/spaces/:space/servers/:server/restart',
    summary: 'Restart a server in a Space (also closes an open circuit)',
    tag: 'Servers',
    status: 204,
    params: SpaceServerParams,
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      await requireServer(deps.store, params.server);
      await deps.gateway.restartUpstream(params.space, params.server);
      return undefined;
    },
  }),
  route({
    method: 'POST',
    path: '/spaces/:space/servers/:server/sign-in',
    summary:
      'Start an OAuth sign-in to an HTTP server in a Space (cancels a running one); answers the authorization URL to open, the sign-in finishes when the browser comes back',
    tag: 'Servers',
    status: 200,
    params: SpaceServerParams,
    response: SignInStartedSchema,
    handler: async ({ params, deps }) => signInsOf(deps).start(params.space, params.server),
  }),
  route({
    method: 'GET',
    path: '/spaces/:space/servers/:server/sign-in',
    summary: "The state of the console's latest sign-in to a server in a Space",
    tag: 'Servers',
    status: 200,
    params: SpaceServerParams,
    response: SignInStateSchema,
    handler: async ({ params, deps }) => {
      await requireSpace(deps.store, params.space);
      await requireServer(deps.store, params.server);
      return signInsOf(deps).state(params.space, params.server);
    },
  }),
  route({
    method: 'PUT',
    path: '/spaces/:space/servers/:server/secrets/:name',
    summary:
      'Store a secret for a server in a Space (`_default`: the global scope); write-only, never returned',
    tag: 'Servers',
    status: 204,
    params: SecretParams,
    body: SecretBody,
    handler: async ({ params, body, deps }) => {
      checkSecretName(params.name);
      await checkSecretSpace(deps.store, params.space);
      const target = secretTarget(params.space, params.server);
      const scope =
        target.global === true
          ? { global: true as const, serverId: params.server }
          : { spaceId: params.space, serverId: params.server };
      await deps.vault.set(scope, params.name, body.value);
      return undefined;
    },
  }),
  route({
    method: 'DELETE',
    path: '/spaces/:space/servers/:server/secrets/:name',
    summary: 'Delete a secret (`_default`: the global scope)',
    tag: 'Servers',
    status: 204,
    params: SecretParams,
    handler: async ({ params, deps }) => {
      checkSecretName(params.name);
      await checkSecretSpace(deps.store, params.space);
      await removeSecret(deps.store, deps.vault, secretTarget(params.space, params.server), params.name);
      return undefined;
    },
  }),
];

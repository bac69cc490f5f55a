import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import {
  type AppId,
  accessKeyEnv,
  appConfigPath,
  appLabel,
  appSignsIn,
  appSpeaksHttp,
  type ConnectTarget,
  describeTransport,
  extractSecrets,
  type ImportedServer,
  isAppId,
  type LaunchCommand,
  planConnect,
  planReplace,
  readAppServers,
} from '@mcpmux/server/operations';
import type { InstallationOverrides, ServerDefinition } from '@mcpmux/space-store';
import { homePath } from '../bridge/args.js';
import { readIfExists, writeWithBackup } from '../config-files.js';
import { type Ctx, confirm, requireClient, targetSpace } from '../context.js';
import { type Home, loadHome, loadVault } from '../deps.js';

/** The command an app runs: `mcpmux` from PATH (io.self when an embedder says otherwise). */
export function selfLaunch(ctx: Ctx): LaunchCommand {
  return ctx.io.self ?? { command: 'mcpmux', args: [] };
}

/** The gateway's default endpoint (DESIGN §6), written when no gateway runs. */
const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:45818/mcp';

/** True when `command` names an executable file on `PATH` (or is a path to one). */
export function onPath(command: string, env: Record<string, string | undefined>, platform: NodeJS.Platform) {
  const names =
    platform === 'win32' ? [command, `${command}.cmd`, `${command}.exe`, `${command}.ps1`] : [command];
  const dirs = isAbsolute(command) ? [''] : (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    for (const name of names) {
      try {
        accessSync(dir === '' ? name : join(dir, name), constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

/** `--home H` for the app's command line, only when the home is not the default one. */
function homeArgs(ctx: Ctx): string[] {
  const { HOME, USERPROFILE } = ctx.io.env;
  const defaultHome = homePath(undefined, { HOME, USERPROFILE }, ctx.io.cwd);
  return ctx.home === defaultHome ? [] : ['--home', ctx.home];
}

function configPath(ctx: Ctx, app: AppId, override: string | undefined): string {
  if (override !== undefined) return isAbsolute(override) ? override : resolve(ctx.io.cwd, override);
  return appConfigPath(app, ctx.userHome, ctx.io.platform ?? process.platform, ctx.io.env);
}

/**
 * `connect APP --client ID [--http] [--config FILE] [--entry NAME] [--dry-run]`: the stdio bridge
 * (`mcpmux stdio --client ID`, plus `--home H` for a home that is not the default), or with `--http`
 * the gateway's URL with the key read from an environment variable (VS Code: its secret input).
 */
export async function connect(
  ctx: Ctx,
  app: AppId,
  opts: { client: string; http?: boolean; config?: string; entry: string; dryRun?: boolean },
): Promise<number> {
  const http = opts.http === true;
  if (http && !appSpeaksHttp(app)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `${appLabel(app)}'s config file only launches commands; run \`mcpmux connect ${app} --client ${opts.client}\` (the stdio bridge) instead.`,
      { data: { field: 'http' } },
    );
  }
  const path = configPath(ctx, app, opts.config);
  return ctx.withStore(async ({ store }) => {
    await requireClient(store, opts.client);
    const self = selfLaunch(ctx);
    const keyEnv = accessKeyEnv(opts.client);
    let target: ConnectTarget;
    if (http) {
      const { readGatewayInfo } = await loadHome();
      const url = (await readGatewayInfo(ctx.home))?.url ?? DEFAULT_GATEWAY_URL;
      target = { url, keyEnv, client: opts.client };
    } else {
      target = {
        command: self.command,
        args: [...self.args, ...homeArgs(ctx), 'stdio', '--client', opts.client],
      };
    }
    const text = await readIfExists(path);
    const plan = planConnect(app, text, path, opts.entry, target);
    let backup: string | undefined;
    if (plan.changed && opts.dryRun !== true) backup = await writeWithBackup(path, plan.content);
    if (ctx.json) {
      ctx.out.data({
        app,
        path,
        entry: opts.entry,
        transport: http ? 'http' : 'stdio',
        changed: plan.changed,
        dryRun: opts.dryRun === true,
        backup: backup ?? null,
        ...(opts.dryRun === true ? { content: plan.content } : {}),
      });
      return 0;
    }
    if (!plan.changed) {
      ctx.out.line(
        `${appLabel(app)} is already connected as client ${opts.client} (${path}); nothing to do.`,
      );
      return 0;
    }
    if (opts.dryRun === true) {
      ctx.out.line(`Would write ${path}:`);
      ctx.out.line(plan.content.trimEnd());
      return 0;
    }
    ctx.out.line(
      `${plan.replaced ? 'Updated' : 'Added'} the "${opts.entry}" entry in ${path}${backup ? ` (backup: ${backup})` : ''}.`,
    );
    if (http) {
      const url = 'url' in target ? target.url : DEFAULT_GATEWAY_URL;
      ctx.out.line(`${appLabel(app)} now reaches the mcpmux gateway at ${url} as client ${opts.client}.`);
      ctx.out.line(
        appSignsIn(app)
          ? `${appLabel(app)} signs in with OAuth on first use (no key in the file): approve it on the console's consent page (run \`mcpmux ui\` to open the console) and choose client ${opts.client} there, or a new one.`
          : `It reads the access key from the environment variable ${keyEnv}: set it where ${appLabel(app)} starts (the key was printed by \`mcpmux client add ${opts.client}\`; \`mcpmux client key rotate ${opts.client}\` prints a new one).`,
      );
      ctx.out.line(
        `The gateway must be running: \`mcpmux start\` (or \`mcpmux service install\` to run it from login). Restart ${appLabel(app)} to load it.`,
      );
      return 0;
    }
    ctx.out.line(
      `${appLabel(app)} now reaches mcpmux as client ${opts.client} through the stdio bridge, which starts the gateway when none runs. Restart ${appLabel(app)} to load it.`,
    );
    if (ctx.io.env.MCPMUX_MASTER_KEY !== undefined) {
      ctx.out.warn(
        `the vault key comes from MCPMUX_MASTER_KEY, which ${appLabel(app)} does not pass on: start the gateway from this shell (\`mcpmux start\`) before the app needs it, or keep the key in the OS keychain or the key file (docs/vault.md).`,
      );
    }
    if (!onPath(self.command, ctx.io.env, ctx.io.platform ?? process.platform)) {
      ctx.out.warn(
        `\`${self.command}\` is not on PATH, so ${appLabel(app)} cannot start it yet. Install the command: \`npm install -g mcpmux\`, or from a clone \`pnpm --filter mcpmux build && cd apps/cli && npm link\` (see docs/clients.md).`,
      );
    }
    return 0;
  });
}

/** What import does with one server. */
interface ImportItem {
  name: string;
  id: string;
  action: 'create' | 'install-existing' | 'skip';
  reason?: string;
  secrets: string[];
  unresolved: string[];
  transport: string;
  /** True when mcpmux now serves this entry (imported now, or the same server already installed). */
  inMcpmux?: boolean;
}

/** Options of `import`, as commander parses them. */
export interface ImportOptions {
  space?: string;
  dryRun?: boolean;
  /** Replace the imported entries in the app's config by the mcpmux bridge (backup first). */
  replace?: boolean;
  /** The client the bridge entry names; default `quickstart` (created when missing). */
  client?: string;
  /** The bridge entry's name; default `mcpmux`. */
  entry?: string;
}

/** The client `import --replace` connects the app as when `--client` is not given. */
const DEFAULT_REPLACE_CLIENT = 'quickstart';

/**
 * `import (claude-desktop | cursor | vscode | claude-code | windsurf | FILE) [--space S] [--dry-run]
 * [--replace [--client ID] [--entry NAME]]`: with `--replace` (or a yes on a terminal), the imported
 * entries of the app's config are replaced by one mcpmux bridge entry, after a 0600 backup, and the
 * client is granted `server-all:ID` for each, so the app keeps its tools without the plaintext.
 */
export async function importServers(ctx: Ctx, source: string, opts: ImportOptions): Promise<number> {
  const app = isAppId(source) ? source : undefined;
  if (opts.replace === true && app === undefined) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `--replace rewrites a known app's config; name the app (${['claude-desktop', 'cursor', 'vscode', 'claude-code', 'windsurf'].join(', ')}) instead of a FILE.`,
      { data: { field: 'replace' } },
    );
  }
  const path = app !== undefined ? configPath(ctx, app, undefined) : resolve(ctx.io.cwd, source);
  const text = await readIfExists(path);
  if (text === undefined) {
    throw new McpmuxError(
      'NOT_FOUND',
      `${path} does not exist. Name an app (claude-desktop, cursor, vscode, claude-code, windsurf) or a config FILE.`,
      { data: { entity: 'file', path } },
    );
  }
  const { readGatewayInfo } = await loadHome();
  const running = (await readGatewayInfo(ctx.home))?.url;
  const { servers, skipped } = readAppServers(text, path, [
    DEFAULT_GATEWAY_URL,
    ...(running === undefined ? [] : [running]),
  ]);
  return ctx.withHome(async ({ store, vault }) => {
    const { assertNoSecretInArgv } = await loadVault();
    const space = await targetSpace(store, opts.space);
    const installed = new Set((await store.listInstallations(space.id)).map((i) => i.serverId));
    const items: ImportItem[] = skipped.map((s) => ({
      name: s.name,
      id: '-',
      action: 'skip',
      reason: s.reason,
      secrets: [],
      unresolved: [],
      transport: '',
    }));
    const work: {
      item: ImportItem;
      server: ImportedServer;
      existing?: ServerDefinition;
      overrides: InstallationOverrides;
      secrets: { name: string; value: string }[];
    }[] = [];
    for (const server of servers) {
      const x = extractSecrets(server.transport);
      const item: ImportItem = {
        name: server.name,
        id: server.id,
        action: 'create',
        secrets: x.secrets.map((s) => s.name),
        unresolved: x.unresolved,
        transport: describeTransport(x.transport),
      };
      items.push(item);
      if (x.transport.type === 'stdio') {
        // A credential in the app's arguments cannot move to the vault: mcpmux never puts a secret in a
        // command line (every local user can read it), so such a server is skipped with the reason.
        try {
          assertNoSecretInArgv(x.transport, (i) => `argument ${i + 1}`);
        } catch (e) {
          item.action = 'skip';
          item.reason = e instanceof Error ? e.message : String(e);
          continue;
        }
      }
      const existing = await store.getServer(server.id);
      const overrides: InstallationOverrides = {};
      if (existing) {
        const t = existing.transport;
        const same =
          (t.type === 'stdio' && x.transport.type === 'stdio' && t.command === x.transport.command) ||
          (t.type !== 'stdio' &&
            x.transport.type !== 'stdio' &&
            t.url === x.transport.url &&
            t.type === x.transport.type);
        if (!same) {
          item.action = 'skip';
          item.reason = `a different server "${server.id}" exists (\`${describeTransport(t)}\`)`;
          continue;
        }
        if (installed.has(server.id)) {
          item.action = 'skip';
          item.reason = `already installed in Space ${space.id}`;
          item.inMcpmux = true;
          continue;
        }
        item.action = 'install-existing';
        if (t.type === 'stdio' && x.transport.type === 'stdio') {
          if (JSON.stringify(t.args) !== JSON.stringify(x.transport.args)) overrides.args = x.transport.args;
          const env = Object.fromEntries(Object.entries(x.transport.env).filter(([k, v]) => t.env[k] !== v));
          if (Object.keys(env).length > 0) overrides.env = env;
        } else if (t.type !== 'stdio' && x.transport.type !== 'stdio') {
          const headers = Object.fromEntries(
            Object.entries(x.transport.headers).filter(([k, v]) => t.headers[k] !== v),
          );
          if (Object.keys(headers).length > 0) overrides.headers = headers;
        }
      }
      work.push({
        item,
        server: { ...server, transport: x.transport },
        ...(existing ? { existing } : {}),
        overrides,
        secrets: x.secrets,
      });
    }

    if (opts.dryRun !== true) {
      for (const w of work) {
        let created = false;
        let installedNow = false;
        const scope = { spaceId: space.id, serverId: w.server.id };
        try {
          if (!w.existing) {
            await store.createServer({
              id: w.server.id,
              name: w.server.name,
              transport: w.server.transport,
              description: `Imported from ${path}`,
            });
            created = true;
          }
          await store.install(
            space.id,
            w.server.id,
            Object.keys(w.overrides).length > 0 ? { overrides: w.overrides } : {},
          );
          installedNow = true;
          for (const s of w.secrets) await vault.set(scope, s.name, s.value);
          w.item.inMcpmux = true;
        } catch (e) {
          for (const s of w.secrets) await vault.delete(scope, s.name).catch(() => false);
          if (installedNow) await store.uninstall(space.id, w.server.id).catch(() => undefined);
          if (created) await store.deleteServer(w.server.id).catch(() => undefined);
          w.item.action = 'skip';
          w.item.reason = e instanceof Error ? e.message.replace(/\s*\n\s*/g, ' ') : String(e);
        }
      }
    }

    if (opts.dryRun === true) for (const w of work) w.item.inMcpmux = true;
    const imported = items.filter((i) => i.inMcpmux === true);
    const names = imported.map((i) => i.name);
    let replaced: ReplaceResult | undefined;
    if (app !== undefined && names.length > 0) {
      const wanted =
        opts.replace === true ||
        (opts.dryRun !== true &&
          !ctx.json &&
          (await confirm(
            ctx,
            `Replace ${names.length === 1 ? `the "${names[0]}" entry` : `these ${names.length} entries`} in ${path} with one mcpmux entry (a backup is written first)? The app then reaches ${names.length === 1 ? 'it' : 'them'} through mcpmux, without the plaintext credentials.`,
          )));
      if (wanted) {
        replaced = await replaceEntries(ctx, { store, app, path, text, imported, space: space.id, opts });
      }
    }

    if (ctx.json) {
      ctx.out.data({
        source: path,
        space: space.id,
        dryRun: opts.dryRun === true,
        replaced: replaced ?? null,
        servers: items.map((i) => ({
          name: i.name,
          id: i.id,
          action: i.action,
          ...(i.reason !== undefined ? { reason: i.reason } : {}),
          secrets: i.secrets,
          unresolved: i.unresolved,
        })),
      });
      return 0;
    }
    const o = ctx.out;
    o.line(`${opts.dryRun === true ? 'Plan for importing' : 'Imported'} ${path} into Space ${space.id}:`);
    o.table(
      ['NAME', 'ID', 'ACTION', 'SECRETS TO VAULT', 'COMMAND / URL'],
      items.map((i) => [
        i.name,
        i.id,
        i.action === 'skip' ? `skip: ${i.reason ?? ''}` : i.action,
        i.secrets.join(', ') || '-',
        i.transport,
      ]),
      'No MCP servers found in that file.',
    );
    for (const i of items) {
      for (const name of i.unresolved) {
        o.line(
          `Set ${name} for ${i.id}: \`mcpmux secret set ${i.id} ${name} --space ${space.id}\` (value on stdin).`,
        );
      }
    }
    const done = items.filter((i) => i.action !== 'skip');
    if (replaced !== undefined) {
      const list = replaced.entries.map((n) => `"${n}"`).join(', ');
      if (opts.dryRun === true) {
        o.line(
          `Would replace ${list} in ${path} with the "${replaced.entry}" entry (client ${replaced.client}), after a backup, and grant ${replaced.grants.join(', ')}.`,
        );
      } else {
        o.line(
          `Replaced ${list} in ${path} with the "${replaced.entry}" entry (the stdio bridge, client ${replaced.client}); backup: ${replaced.backup ?? '(none)'} (mode 0600, it still holds the old credentials: delete it once the app works).`,
        );
        if (replaced.createdClient) o.line(`Created client ${replaced.client} for the bridge.`);
        if (replaced.grants.length > 0)
          o.line(`Granted ${replaced.grants.join(', ')} to ${replaced.client} in Space ${space.id}.`);
        o.line(`Restart ${appLabel(replaced.app)} to load it.`);
      }
    }
    if (opts.dryRun === true) o.line('Dry run: nothing was changed.');
    else if (done.length > 0 && replaced === undefined) {
      o.line(
        `Credentials are now in the vault as \${secret:NAME} references. Grant the servers to a client (e.g. \`mcpmux client grant CLIENT server-all:${done[0]?.id ?? 'ID'} --space ${space.id}\`) and point the app at mcpmux with \`mcpmux connect APP --client CLIENT\`.`,
      );
      if (app !== undefined) {
        o.line(
          `${appLabel(app)} still launches ${done.length === 1 ? 'that server' : 'those servers'} itself, with the credentials in plaintext: \`mcpmux import ${app} --replace\` replaces ${done.length === 1 ? 'its entry' : 'their entries'} with mcpmux (backup first).`,
        );
      }
    }
    return 0;
  });
}

/** What `import --replace` did to the app's config. */
interface ReplaceResult {
  app: AppId;
  path: string;
  /** The entries replaced. */
  entries: string[];
  /** The mcpmux entry that replaced them. */
  entry: string;
  client: string;
  createdClient: boolean;
  /** `server-all:ID` sets granted to the client so the app keeps those servers' features. */
  grants: string[];
  /** The 0600 backup of the file as it was; `null` on a dry run. */
  backup: string | null;
}

/**
 * Rewrites the app's config: the imported entries out, the mcpmux bridge in, after a 0600 backup,
 * atomically, refusing when the file changed since it was read; then makes sure the app's client
 * exists and is granted each replaced server. A dry run only plans.
 */
async function replaceEntries(
  ctx: Ctx,
  job: {
    store: Home['store'];
    app: AppId;
    path: string;
    text: string;
    /** The entries mcpmux now serves: their names in the file and their server ids. */
    imported: { name: string; id: string }[];
    space: string;
    opts: ImportOptions;
  },
): Promise<ReplaceResult> {
  const { store, app, path, text, imported, space, opts } = job;
  const names = imported.map((i) => i.name);
  const client = opts.client ?? DEFAULT_REPLACE_CLIENT;
  const entry = opts.entry ?? 'mcpmux';
  const self = selfLaunch(ctx);
  const plan = planReplace(app, text, path, names, entry, {
    command: self.command,
    args: [...self.args, ...homeArgs(ctx), 'stdio', '--client', client],
  });
  const grants: string[] = [];
  for (const { id } of imported) {
    const set = `server-all:${id}`;
    if (opts.dryRun === true || (await store.getFeatureSet(space, set)) !== undefined) grants.push(set);
  }
  const exists = (await store.getClient(client)) !== undefined;
  if (opts.dryRun === true) {
    return { app, path, entries: plan.removed, entry, client, createdClient: !exists, grants, backup: null };
  }
  if (!exists) await store.createClient({ id: client });
  const have = new Set(await store.listGrants(client, space).then((g) => g.map((x) => x.setId)));
  for (const set of grants) if (!have.has(set)) await store.grant(client, space, set);
  const backup = await writeWithBackup(path, plan.content, new Date(), text);
  return {
    app,
    path,
    entries: plan.removed,
    entry,
    client,
    createdClient: !exists,
    grants,
    backup: backup ?? null,
  };
}

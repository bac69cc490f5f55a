import { accessSync, constants, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { isMcpmuxError } from '@mcpmux/core';
import {
  APP_IDS,
  appConfigPath,
  appLabel,
  describeTransport,
  parseConfigObject,
  plaintextCredentials,
  searchCatalog,
} from '@mcpmux/server/operations';
import type { Command } from 'commander';
import { completionScript } from '../completion.js';
import { readIfExists } from '../config-files.js';
import type { Ctx } from '../context.js';
import { type Home, loadVault } from '../deps.js';
import { errorLine } from '../error-line.js';
import { runningGateway } from '../gateway-files.js';
import { referencedSecrets } from './server.js';

/** The client name the quick start (`npm start`, README, `init`) uses throughout. */
export const QUICKSTART_CLIENT = 'quickstart';

/** The key file `init` may create, `<home>/keys/master.key`. */
function keyFilePath(home: string): string {
  return join(home, 'keys', 'master.key');
}

/**
 * What a key file protects, in plain words: printed once, by the `init` that created it (the
 * gateway then logs only one short line per start; `mcpmux doctor` repeats the warning).
 */
export function keyFileNote(path: string): string[] {
  return [
    `Your secrets are encrypted with a master key kept in ${path}, readable only by you.`,
    'That protects them from other users of this machine and from a copy of the database alone, but not from',
    'programs running as you, nor from a backup that holds both files. For more, keep the key in the OS keychain',
    'or in MCPMUX_MASTER_KEY from a secret manager (docs/vault.md); `mcpmux doctor` repeats this.',
  ];
}

/** True when one of the known apps' configs already launches the mcpmux bridge. */
async function someAppConnected(ctx: Ctx): Promise<boolean> {
  for (const app of APP_IDS) {
    const path = appConfigPath(app, ctx.userHome, ctx.io.platform ?? process.platform, ctx.io.env);
    const text = await readIfExists(path).catch(() => undefined);
    if (text === undefined) continue;
    try {
      if (mcpmuxEntryOf(parseConfigObject(text, path)) !== undefined) return true;
    } catch {
      // an unparseable config is doctor's business
    }
  }
  return false;
}

/** The stdio-bridge entry of an app config's servers, if it has one. */
function mcpmuxEntryOf(config: Record<string, unknown>): unknown {
  const servers = (config.mcpServers ?? config.servers ?? {}) as Record<string, { args?: unknown }>;
  return Object.values(servers).find(
    (s) => Array.isArray(s?.args) && s.args.includes('stdio') && s.args.includes('--client'),
  );
}

/**
 * The quick start's remaining steps for this home, skipping what is already done: a server in the
 * active Space, a client (`quickstart`), a grant of that server to it, an app connected. The same
 * story as `npm start` and the README; the gateway needs no step (a connected app's bridge starts it).
 */
async function nextSteps(ctx: Ctx, store: Home['store']): Promise<string[]> {
  const active = await store.getActiveSpace();
  if (active === undefined) return [];
  const [servers, clients] = await Promise.all([store.effectiveServers(active.id), store.listClients()]);
  const server = servers[0]?.serverId ?? 'memory';
  const client = clients.find((c) => c.id === QUICKSTART_CLIENT)?.id ?? clients[0]?.id ?? QUICKSTART_CLIENT;
  const steps: string[] = [];
  if (servers.length === 0) steps.push('mcpmux server add memory');
  if (clients.length === 0) steps.push(`mcpmux client add ${client}`);
  const grants = clients.length === 0 ? [] : await store.listGrants(client, active.id);
  if (grants.length === 0) steps.push(`mcpmux client grant ${client} server-all:${server}`);
  if (!(await someAppConnected(ctx))) steps.push(`mcpmux connect cursor --client ${client}`);
  return steps;
}

/** `init`: creates the home and a "personal" Space (active); idempotent. */
export async function init(ctx: Ctx): Promise<number> {
  const keyFile = keyFilePath(ctx.home);
  const hadKeyFile = existsSync(keyFile);
  return ctx.withHome(
    async ({ store, home }) => {
      const spaces = await store.listSpaces();
      const created = spaces.length === 0;
      if (created) await store.createSpace({ id: 'personal', name: 'Personal' });
      const active = await store.getActiveSpace();
      const createdKeyFile = !hadKeyFile && existsSync(keyFile) ? keyFile : null;
      const steps = await nextSteps(ctx, store);
      if (ctx.json) {
        ctx.out.data({
          home,
          created,
          activeSpace: active?.id ?? null,
          keyFile: createdKeyFile,
          next: steps,
        });
        return 0;
      }
      ctx.out.line(created ? `Initialised ${home}.` : `${home} is already initialised.`);
      ctx.out.line(`Active Space: ${active?.id ?? 'none'}.`);
      if (createdKeyFile !== null) {
        ctx.out.line();
        for (const line of keyFileNote(createdKeyFile)) ctx.out.line(line);
      }
      if (steps.length > 0) {
        ctx.out.line();
        ctx.out.line('Next:');
        for (const step of steps) ctx.out.line(`  ${step}`);
        if (steps.some((s) => s.startsWith('mcpmux connect')) && (await runningGateway(home)) === undefined) {
          ctx.out.line('The app starts the gateway through its bridge; `mcpmux start` runs it now.');
        }
      }
      return 0;
    },
    { create: true },
  );
}

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

/** True when `command` is an executable file, as given or on PATH. */
export function findOnPath(command: string, env: Record<string, string | undefined>): string | undefined {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : (env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** `doctor`: checks the home, the vault key provider, each server's launchability and the app configs. */
export async function doctor(ctx: Ctx): Promise<number> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  try {
    const st = await stat(ctx.home);
    if ((st.mode & 0o077) !== 0) {
      add({
        check: 'home',
        status: 'warn',
        message: `${ctx.home} is readable by others (mode ${(st.mode & 0o777).toString(8)})`,
        fix: `chmod 700 ${ctx.home}`,
      });
    } else add({ check: 'home', status: 'ok', message: `${ctx.home} (mode 700)` });
  } catch {
    add({ check: 'home', status: 'fail', message: `${ctx.home} does not exist`, fix: 'mcpmux init' });
  }
  try {
    const { selectKeyProvider, vaultCreatedWith } = await loadVault();
    // The provider the home's vault was created with: a key-file vault stays on its key file even
    // where a keychain holds some key, as `serve` and every vault command choose (openHome).
    const createdWith = await ctx
      .withStore(({ store }) => ('sql' in store ? vaultCreatedWith(store.sql) : Promise.resolve(undefined)))
      .catch(() => undefined);
    const provider = await selectKeyProvider({
      env: ctx.io.env,
      home: ctx.home,
      ...(createdWith === undefined ? {} : { createdWith }),
    });
    add({
      check: 'vault',
      status: provider.kind === 'keyfile' ? 'warn' : 'ok',
      message:
        provider.kind === 'keyfile'
          ? `key provider: ${provider.describe()}; it protects the secrets from other users and from a copy of the database alone, not from programs running as you or from a backup holding both files`
          : `key provider: ${provider.describe()}`,
      ...(provider.kind === 'keyfile'
        ? { fix: 'prefer the OS keychain or MCPMUX_MASTER_KEY over a key file (docs/vault.md)' }
        : {}),
    });
  } catch (e) {
    add({
      check: 'vault',
      status: 'fail',
      message: errorLine(e).slice(7),
      fix: ctx.io.env.MCPMUX_MASTER_KEY
        ? 'fix or unset MCPMUX_MASTER_KEY'
        : 'set MCPMUX_MASTER_KEY or unlock the OS keychain',
    });
  }
  if (!checks.some((c) => c.check === 'home' && c.status === 'fail')) {
    try {
      await ctx.withHome(async ({ store, vault }) => {
        const active = await store.getActiveSpace();
        for (const def of await store.listServers()) {
          const t = def.transport;
          if (t.type === 'stdio') {
            const found = findOnPath(t.command, ctx.io.env);
            add(
              found
                ? { check: `server ${def.id}`, status: 'ok', message: `${t.command} found at ${found}` }
                : {
                    check: `server ${def.id}`,
                    status: 'fail',
                    message: `command "${t.command}" is not on PATH`,
                    fix: `install it, or redefine: mcpmux server remove ${def.id} --everywhere && mcpmux server add ${def.id} --command /full/path`,
                  },
            );
          } else {
            let ok = true;
            try {
              new URL(t.url.replace(/\$\{[^}]+\}/g, 'x'));
            } catch {
              ok = false;
            }
            add(
              ok
                ? { check: `server ${def.id}`, status: 'ok', message: `${t.type} ${t.url}` }
                : {
                    check: `server ${def.id}`,
                    status: 'fail',
                    message: `invalid URL ${t.url}`,
                    fix: `mcpmux server remove ${def.id} --everywhere, then add it again`,
                  },
            );
          }
          if (active) {
            const eff = (await store.effectiveServers(active.id)).find((s) => s.serverId === def.id);
            if (eff) {
              for (const name of referencedSecrets(eff.transport)) {
                const has =
                  (await vault.has({ spaceId: active.id, serverId: def.id }, name)) ||
                  (eff.defaultEnabled && (await vault.has({ global: true, serverId: def.id }, name)));
                if (!has) {
                  add({
                    check: `server ${def.id}`,
                    status: 'warn',
                    message: `secret ${name} is not set in Space ${active.id}`,
                    fix: `mcpmux secret set ${def.id} ${name} --space ${active.id}`,
                  });
                }
              }
            }
          }
        }
      });
    } catch (e) {
      add({
        check: 'store',
        status: 'fail',
        message: errorLine(e).slice(7),
        fix: isMcpmuxError(e, 'VAULT_LOCKED') ? 'check the vault key provider' : 'see the message',
      });
    }
  }
  // The gateway's own URLs: an app's URL-only entry for mcpmux holds no credential of another server.
  const running = (await runningGateway(ctx.home))?.url;
  const selfUrls = ['http://127.0.0.1:45818/mcp', ...(running === undefined ? [] : [running])];
  for (const app of APP_IDS) {
    const path = appConfigPath(app, ctx.userHome, ctx.io.platform ?? process.platform, ctx.io.env);
    const text = await readIfExists(path).catch(() => undefined);
    if (text === undefined) continue;
    try {
      const config = parseConfigObject(text, path);
      const entry = mcpmuxEntryOf(config);
      const plaintext = plaintextCredentials(text, path, selfUrls);
      if (plaintext.length > 0) {
        add({
          check: `app ${app}`,
          status: 'warn',
          message: `${appLabel(app)}'s config ${path} holds plaintext credentials: ${plaintext.map((p) => `${p.name} (${p.keys.join(', ')})`).join(', ')}`,
          fix: `mcpmux import ${app} --replace`,
        });
      }
      add(
        entry
          ? { check: `app ${app}`, status: 'ok', message: `${appLabel(app)} uses mcpmux (${path})` }
          : {
              check: `app ${app}`,
              status: 'warn',
              message: `${appLabel(app)} is not connected to mcpmux`,
              fix: `mcpmux connect ${app} --client CLIENT`,
            },
      );
    } catch (e) {
      add({
        check: `app ${app}`,
        status: 'fail',
        message: errorLine(e).slice(7),
        fix: `fix or move ${path}`,
      });
    }
  }
  const failed = checks.some((c) => c.status === 'fail');
  if (ctx.json) {
    ctx.out.data({ ok: !failed, checks });
    return failed ? 1 : 0;
  }
  const o = ctx.out;
  for (const c of checks) {
    const tag =
      c.status === 'ok'
        ? o.color.green('ok  ')
        : c.status === 'warn'
          ? o.color.yellow('warn')
          : o.color.red('fail');
    o.line(`${tag}  ${c.check}: ${c.message}`);
    if (c.fix) o.line(`      fix: ${c.fix}`);
  }
  const warnings = checks.filter((c) => c.status === 'warn').length;
  o.line(
    failed
      ? 'Some checks failed.'
      : warnings > 0
        ? `No check failed; ${warnings === 1 ? '1 warning' : `${warnings} warnings`} above.`
        : 'No problems found.',
  );
  return failed ? 1 : 0;
}

/** `catalog [search]` */
export async function catalog(ctx: Ctx, search: string | undefined): Promise<number> {
  const entries = searchCatalog(search);
  if (ctx.json) {
    ctx.out.data(entries);
    return 0;
  }
  ctx.out.table(
    ['ID', 'NAME', 'INPUTS', 'COMMAND'],
    entries.map((e) => [
      e.id,
      e.name,
      e.inputs.map((i) => `${i.name}${i.secret ? ' (secret)' : ''}`).join(', ') || '-',
      describeTransport(e.transport),
    ]),
    `No catalog entry matches "${search ?? ''}".`,
  );
  if (entries.length > 0)
    ctx.out.line(
      'Install one with `mcpmux server add ID`; secret inputs are asked for (or read with `mcpmux secret set`).',
    );
  return 0;
}

/** `completion bash|zsh|fish` */
export async function completion(
  ctx: Ctx,
  shell: 'bash' | 'zsh' | 'fish',
  program: Command,
): Promise<number> {
  ctx.io.stdout.write(completionScript(shell, program));
  return 0;
}

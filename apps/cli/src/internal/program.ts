import { Argument, Command, CommanderError, Option } from 'commander';
import type { Ctx, GlobalOptions } from './context.js';
import {
  CONNECT_APPS,
  DEFAULT_LOG_LINES,
  DEFAULT_PORT,
  LOG_FORMAT_CHOICES,
  LOG_LEVEL_CHOICES,
} from './defaults.js';
import type { CliIo } from './io.js';
import { VERSION } from './version.js';

// Each command's module is imported when that command runs (not when the program is built), so
// `--help`, `--version` and every command load only what they use. Keep this the only place that
// names the command modules.
const commands = {
  client: () => import('./commands/client.js'),
  connect: () => import('./commands/connect.js'),
  daemon: () => import('./commands/daemon.js'),
  featureset: () => import('./commands/featureset.js'),
  home: () => import('./commands/home.js'),
  login: () => import('./commands/login.js'),
  logs: () => import('./commands/logs.js'),
  migrate: () => import('./commands/migrate.js'),
  secret: () => import('./commands/secret.js'),
  serve: () => import('./commands/serve.js'),
  server: () => import('./commands/server.js'),
  service: () => import('./commands/service.js'),
  space: () => import('./commands/space.js'),
  status: () => import('./commands/status.js'),
  tools: () => import('./commands/tools.js'),
  ui: () => import('./commands/ui.js'),
};
type Commands = typeof commands;
type CommandModule<K extends keyof Commands> = Awaited<ReturnType<Commands[K]>>;

/**
 * The handler `name` of the command module `module`, imported on first call.
 *
 * @example `act(lazy('space', 'list'))`
 */
function lazy<K extends keyof Commands, N extends keyof CommandModule<K>>(module: K, name: N): Handler {
  const handler: Handler = async (ctx: Ctx, ...args: never[]) => {
    const mod = (await commands[module]()) as CommandModule<K>;
    const run = mod[name] as unknown as (ctx: Ctx, ...a: never[]) => Promise<number | undefined>;
    return run(ctx, ...args);
  };
  handler.preload = () => void commands[module]().catch(() => undefined);
  return handler;
}

/** `--log-level` and `--log-format` of `serve`, `start` and `restart`. */
const logOptions = (c: Command) =>
  c
    .addOption(
      new Option(
        '--log-level <level>',
        'lowest level logged (default: $MCPMUX_LOG_LEVEL, else info)',
      ).choices(LOG_LEVEL_CHOICES),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines as pretty text or JSON (default: pretty on a terminal, else json)',
      ).choices(LOG_FORMAT_CHOICES),
    );

/** `--space S` of every per-Space command. */
const SPACE_OPTION = ['--space <space>', 'the Space (default: the active Space)'] as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CommanderError(1, 'mcpmux.invalidArgument', `${what} must be a whole number, got "${value}"`);
  return n;
};

type Handler = ((ctx: Ctx, ...args: never[]) => Promise<number | undefined>) & {
  /** Starts importing the command's module (a failure surfaces when the handler runs). */
  preload?: () => void;
};

/** Runs a command handler with a {@link Ctx}; the handler's return value becomes the exit code. */
function action(io: CliIo, state: { code: number }, handler: Handler) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const globals = cmd.optsWithGlobals() as GlobalOptions;
    handler.preload?.(); // the command's module and the context load side by side
    const { Ctx } = await import('./context.js');
    const ctx = new Ctx(io, globals);
    const code = await (handler as (ctx: Ctx, ...a: unknown[]) => Promise<number | undefined>)(
      ctx,
      ...args.slice(0, -1),
    );
    state.code = code ?? 0;
  };
}

/**
 * A command group (`space`, `server`...): run without a subcommand it fails with one line naming the
 * subcommands instead of printing help to stderr.
 */
function group(parent: Command, name: string, description: string): Command {
  const cmd = parent.command(name).description(description);
  cmd.action(async () => {
    const path = [parent.name() === 'mcpmux' ? '' : `${parent.name()} `, name].join('');
    const { McpmuxError } = await import('@mcpmux/core');
    throw new McpmuxError(
      'INVALID_INPUT',
      `Missing command: mcpmux ${path} (${cmd.commands.map((c) => c.name()).join(' | ')}). See \`mcpmux ${path} --help\`.`,
    );
  });
  return cmd;
}

/**
 * Builds the `mcpmux` command tree (DESIGN.md §7). Output goes through `io`; errors thrown by
 * handlers propagate to the caller (`run`), which prints them.
 *
 * @param only - build the root and this top-level command alone (`invokedCommand(argv)`), which
 *   spares a short command building ~60 others; a name that is no command builds the whole tree,
 *   so that commander can suggest the nearest one.
 */
export function buildProgram(io: CliIo, state: { code: number }, only?: string): Command {
  const program = new Command('mcpmux');
  const act = (h: Handler) => action(io, state, h);
  const known = new Set<string>();
  const wants = (...names: string[]): boolean => {
    for (const name of names) known.add(name);
    return only === undefined || names.includes(only);
  };
  program
    .description('mcpmux: one MCP endpoint for every AI app, with Spaces, FeatureSets and a vault.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--home <dir>', 'the mcpmux home (default: $MCPMUX_HOME, else ~/.mcpmux)')
    .option(
      '--database <url>',
      "team mode: the PostgreSQL database instead of the home's SQLite file (default: $MCPMUX_DATABASE_URL; docs/team.md)",
    )
    .option('--json', 'machine-readable JSON output')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // One line per error: commander's "(Did you mean ...?)" hint joins the error line.
      outputError: (s, write) => write(`${s.trimEnd().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .addHelpText(
      'after',
      `
Selectors: tool:SERVER/NAME, prompt:SERVER/NAME, resource:SERVER/URI (globs * and ? in SERVER and NAME),
           server:SERVER, set:ID, readonly, destructive
Set ids:   all, default, server-all:SERVER, custom ids
Secrets are read from stdin (or a hidden prompt on a terminal), never from arguments.

Examples (the quick start; \`mcpmux init\` prints the steps not done yet):
  mcpmux init
  mcpmux server add memory
  mcpmux client add quickstart
  mcpmux client grant quickstart server-all:memory
  mcpmux connect cursor --client quickstart     (the app's bridge starts the gateway)`,
    );

  if (wants('init')) {
    program
      .command('init')
      .description('create the home and a "personal" Space (active); safe to run again')
      .action(act(lazy('home', 'init')));
  }

  if (wants('space')) {
    // --- space
    const space = group(program, 'space', 'manage Spaces (isolated workspaces; one is active)');
    space
      .command('create')
      .description('create a Space')
      .argument('<id>', 'Space id (lowercase letters, digits, "-")')
      .option('--name <name>', 'display name (default: the id)')
      .option('--icon <icon>', 'an emoji or short icon name')
      .option('--description <text>', 'a description')
      .action(act(lazy('space', 'create')));
    space
      .command('list')
      .description('list Spaces (the active one is marked)')
      .action(act(lazy('space', 'list')));
    space
      .command('use')
      .description('make a Space the active one (follow-active clients switch live)')
      .argument('<id>', 'Space id')
      .action(act(lazy('space', 'use')));
    space
      .command('delete')
      .description('delete a Space with its installations, secrets, sets and grants')
      .argument('<id>', 'Space id')
      .option('--yes', 'confirm the deletion')
      .action(act(lazy('space', 'remove')));
    space
      .command('show')
      .description('show a Space: servers, FeatureSets, clients')
      .argument('<id>', 'Space id')
      .action(act(lazy('space', 'show')));
  }

  if (wants('server')) {
    // --- server
    const server = group(program, 'server', 'manage MCP servers and their installation in Spaces');
    server
      .command('add')
      .description(
        'define a server (or reuse its definition / the bundled catalog) and install it in a Space',
      )
      .argument('<id>', 'server id (a catalog id needs no --command/--url; see `mcpmux catalog`)')
      .option('--command <cmd>', 'launch a stdio server with this command')
      .option('--arg <arg>', 'an argument for --command (repeatable)', collect)
      .option('--url <url>', 'connect to a remote server at this URL')
      .addOption(new Option('--transport <kind>', 'transport for --url').choices(['http', 'sse']))
      .option(
        '--env <K=V>',
        'environment variable; values may hold ${secret:NAME} and ${env:NAME} (repeatable)',
        collect,
      )
      .option(
        '--header <K=V>',
        'HTTP header; values may hold ${secret:NAME} and ${env:NAME} (repeatable)',
        collect,
      )
      .addOption(
        new Option('--alias <alias>', 'tool-name prefix in this Space (default: the server id)').conflicts(
          'prefix',
        ),
      )
      .option('--no-prefix', 'expose names without the "<alias>_" prefix (only when alone in the Space)')
      .option('--no-connect', 'skip the validating connection and feature discovery')
      .option('--timeout <seconds>', 'per-call timeout in seconds', positiveInt('--timeout'))
      .addOption(
        new Option('--space <space>', 'the Space to install into (default: the active Space)').conflicts(
          'defaultEnabled',
        ),
      )
      .option('--default-enabled', 'make the server available in every Space')
      .option('--name <name>', 'display name of a new definition')
      .action(act(lazy('server', 'add')));
    server
      .command('list')
      .description('list the servers available in a Space')
      .option(...SPACE_OPTION)
      .action(act(lazy('server', 'list')));
    server
      .command('show')
      .description('show a server definition and its installation in a Space')
      .argument('<id>', 'server id')
      .option(...SPACE_OPTION)
      .action(act(lazy('server', 'show')));
    server
      .command('remove')
      .description('uninstall a server from a Space (--everywhere: delete the definition too)')
      .argument('<id>', 'server id')
      .option(...SPACE_OPTION)
      .option('--everywhere', 'delete the definition and every installation')
      .action(act(lazy('server', 'remove')));
    server
      .command('enable')
      .description('enable a server in a Space')
      .argument('<id>', 'server id')
      .option(...SPACE_OPTION)
      .action(act(lazy('server', 'enable')));
    server
      .command('disable')
      .description('disable a server in a Space (also a default-enabled one, locally)')
      .argument('<id>', 'server id')
      .option(...SPACE_OPTION)
      .action(act(lazy('server', 'disable')));
  }

  if (wants('secret')) {
    // --- secret
    const secret = group(program, 'secret', 'manage credentials in the encrypted vault');
    const scopeOptions = (c: Command) =>
      c
        .addOption(new Option('--space <space>', 'the Space (default: the active Space)').conflicts('global'))
        .option('--global', 'the global scope that default-enabled servers fall back to');
    scopeOptions(
      secret
        .command('set')
        .description('store a secret; the value is read from stdin (a hidden prompt on a terminal)')
        .argument('<server>', 'server id')
        .argument('<name>', 'secret name, referenced as ${secret:NAME}'),
    ).action(act(lazy('secret', 'set')));
    scopeOptions(secret.command('list').description('list secret names (never values)'))
      .option('--server <server>', 'only this server')
      .option('--all', 'every scope')
      .action(act(lazy('secret', 'list')));
    scopeOptions(
      secret
        .command('rm')
        .description('delete a secret')
        .argument('<server>', 'server id')
        .argument('<name>', 'secret name'),
    ).action(act(lazy('secret', 'rm')));
  }

  if (wants('featureset')) {
    // --- featureset
    const fs = group(program, 'featureset', 'manage FeatureSets (permission bundles)');
    fs.command('create')
      .description('create a custom FeatureSet')
      .argument('<id>', 'set id')
      .option('--name <name>', 'display name')
      .option('--description <text>', 'a description')
      .option(...SPACE_OPTION)
      .action(act(lazy('featureset', 'create')));
    fs.command('list')
      .description('list the FeatureSets of a Space')
      .option(...SPACE_OPTION)
      .action(act(lazy('featureset', 'list')));
    fs.command('show')
      .description('show a FeatureSet and its members')
      .argument('<id>', 'set id')
      .option(...SPACE_OPTION)
      .action(act(lazy('featureset', 'show')));
    fs.command('delete')
      .description('delete a custom FeatureSet')
      .argument('<id>', 'set id')
      .option(...SPACE_OPTION)
      .action(act(lazy('featureset', 'remove')));
    for (const [verb, text] of [
      ['include', 'add an include member'],
      ['exclude', 'add an exclude member (exclude always wins)'],
      ['remove', 'remove a member'],
    ] as const) {
      fs.command(verb)
        .description(text)
        .argument('<set>', 'set id')
        .argument(
          '<selector>',
          'tool:SERVER/NAME | prompt:SERVER/NAME | resource:SERVER/URI | server:SERVER | set:ID | readonly | destructive',
        )
        .option(...SPACE_OPTION)
        .action(
          act((ctx, set: string, selector: string, opts: { space?: string }) =>
            commands.featureset().then((m) => m.member(ctx, verb, set, selector, opts)),
          ),
        );
    }
  }

  if (wants('client')) {
    // --- client
    const client = group(program, 'client', 'manage clients (AI apps), their keys, modes and grants');
    client
      .command('add')
      .description('add a client and print its access key once (alone on the last line)')
      .argument('<id>', 'client id')
      .option('--name <name>', 'display name')
      .option('--pinned <space>', 'pin to this Space (default: follow the active Space)')
      .action(act(lazy('client', 'add')));
    client
      .command('list')
      .description('list clients')
      .action(act(lazy('client', 'list')));
    client
      .command('show')
      .description('show a client: mode, keys, grants')
      .argument('<id>', 'client id')
      .action(act(lazy('client', 'show')));
    client
      .command('remove')
      .description('remove a client and revoke its keys')
      .argument('<id>', 'client id')
      .action(act(lazy('client', 'remove')));
    const key = group(client, 'key', 'manage access keys');
    key
      .command('rotate')
      .description('issue a new access key (printed alone on the last line) and revoke the old ones')
      .argument('<id>', 'client id')
      .action(act(lazy('client', 'rotate')));
    client
      .command('mode')
      .description(
        'follow the active Space or pin to one Space; --lean lists tool search instead of every tool',
      )
      .argument('<id>', 'client id')
      .addArgument(new Argument('[mode]', 'follow-active | pinned').choices(['follow-active', 'pinned']))
      .argument('[space]', 'the Space to pin to (with pinned)')
      .option(
        '--lean',
        'lean mode: list mcpmux_search_tools, _describe_tool, _call_tool and pinned tools (docs/lean-mode.md)',
      )
      .option('--no-lean', 'list every tool the client may use (the default)')
      .action(act(lazy('client', 'mode')));
    client
      .command('pin')
      .description('keep tools listed for a lean client (exposed names, e.g. github_create_issue)')
      .argument('<id>', 'client id')
      .argument('<tools...>', 'exposed tool names')
      .action(act(lazy('client', 'pin')));
    client
      .command('unpin')
      .description('stop listing pinned tools of a lean client')
      .argument('<id>', 'client id')
      .argument('<tools...>', 'exposed tool names')
      .action(act(lazy('client', 'unpin')));
    client
      .command('grant')
      .description('grant a FeatureSet to a client in a Space')
      .argument('<id>', 'client id')
      .argument('<set>', 'set id (all, default, server-all:SERVER, custom)')
      .option(...SPACE_OPTION)
      .action(act(lazy('client', 'grant')));
    client
      .command('ungrant')
      .description('revoke a FeatureSet grant')
      .argument('<id>', 'client id')
      .argument('<set>', 'set id')
      .option(...SPACE_OPTION)
      .action(act(lazy('client', 'ungrant')));
  }

  if (wants('tools', 'explain')) {
    // --- tools / explain
    program
      .command('tools')
      .description("list a client's effective features with their exposed names (from the discovery cache)")
      .requiredOption('--client <id>', 'client id')
      .option('--space <space>', "the Space (default: the client's pinned Space, else the active one)")
      .action(act(lazy('tools', 'tools')));
    program
      .command('explain')
      .description('explain why a feature is allowed or denied for a client')
      .requiredOption('--client <id>', 'client id')
      .argument('<selector>', 'tool:SERVER/NAME | prompt:SERVER/NAME | resource:SERVER/URI')
      .option('--space <space>', "the Space (default: the client's pinned Space, else the active one)")
      .action(act(lazy('tools', 'explain')));
  }

  if (wants('serve', 'migrate', 'stdio')) {
    // --- serve / stdio
    const serveCommand = program
      .command('serve')
      .description('run the gateway (Streamable HTTP at http://HOST:PORT/mcp) until interrupted')
      .option(
        '--host <host>',
        "interface to bind (default 127.0.0.1, or serve.host in the home's config.json)",
      )
      .option(
        '--port <port>',
        `port (default ${DEFAULT_PORT}, or serve.port in the home's config.json; 0: any free port)`,
        positiveInt('--port'),
      )
      .option('--anonymous <client>', 'requests without a key act as this client (loopback binds only)')
      .option('--allow-non-loopback', 'allow binding a non-loopback --host (every client still needs a key)')
      .option(
        '--public-url <url>',
        'the URL clients use behind a load balancer or TLS proxy, e.g. https://mcp.example.com (or MCPMUX_PUBLIC_URL; docs/team.md)',
      )
      .option(
        '--replica-id <id>',
        'this replica of several: prefix of its session ids, which the load balancer routes on ([a-z0-9]{1,16}; or MCPMUX_REPLICA_ID)',
      )
      .option(
        '--max-sessions-per-client <n>',
        "open sessions per client (default 64, or serve.maxSessionsPerClient in the home's config.json)",
        positiveInt('--max-sessions-per-client'),
      )
      .option(
        '--max-sessions <n>',
        "open sessions in total (default 1024, or serve.maxSessions in the home's config.json)",
        positiveInt('--max-sessions'),
      )
      .option(
        '--session-idle-timeout <seconds>',
        "close sessions idle this long (default 1800, or serve.sessionIdleTimeout in the home's config.json)",
        positiveInt('--session-idle-timeout'),
      );
    serveCommand.option(
      '--master-key-file <file>',
      'team mode (--database): the file holding the master key every replica shares (default: $MCPMUX_MASTER_KEY, else $MCPMUX_MASTER_KEY_FILE)',
    );
    logOptions(serveCommand).action(act(lazy('serve', 'serve')));
    program
      .command('migrate')
      .description(
        'copy this home into an empty PostgreSQL database for team mode, secrets re-encrypted, then check the copy',
      )
      .option(
        '--to <url>',
        'the empty target database, postgres://USER@HOST:PORT/DATABASE (default: $MCPMUX_DATABASE_URL)',
      )
      .option(
        '--master-key-file <file>',
        "the team's master key file (default: $MCPMUX_MASTER_KEY, else $MCPMUX_MASTER_KEY_FILE)",
      )
      .option('--audit', 'copy the audit log too')
      .action(act(lazy('migrate', 'migrate')));
    program
      .command('stdio')
      .description(
        "relay an app's stdio to the home's gateway, started when none runs (what `connect` writes)",
      )
      .requiredOption('--client <id>', 'client id')
      .option('--standalone', 'serve from a private gateway in this process instead (own upstreams)')
      .action(act(lazy('serve', 'stdio')));
  }

  if (wants('start', 'stop', 'restart', 'logs', 'service')) {
    // --- start / stop / restart / service: the home's background gateway
    const gatewayAddress = (c: Command) =>
      c
        .option(
          '--host <host>',
          "interface to bind (default 127.0.0.1, or serve.host in the home's config.json)",
        )
        .option(
          '--port <port>',
          `port (default ${DEFAULT_PORT}, or serve.port in the home's config.json; 0: any free port)`,
          positiveInt('--port'),
        );
    logOptions(
      gatewayAddress(
        program
          .command('start')
          .description(
            'run the gateway in the background (logs in <home>/logs/gateway.log); no-op when it runs',
          ),
      ),
    ).action(act(lazy('daemon', 'start')));
    program
      .command('stop')
      .description('stop the background gateway (apps using the stdio bridge are told it stopped)')
      .action(act(lazy('daemon', 'stop')));
    logOptions(
      gatewayAddress(
        program
          .command('restart')
          .description('stop and start the background gateway (same address unless --host/--port)'),
      ),
    ).action(act(lazy('daemon', 'restart')));
    program
      .command('logs')
      .description("print the gateway's log, or a server's stderr log in a Space (-f: follow)")
      .argument('[server]', "a server id: its stderr log instead of the gateway's")
      .option('-f, --follow', 'keep printing lines as they are written, until Ctrl-C')
      .option('--space <space>', "the server's Space (default: the active Space)")
      .option(
        '-n, --lines <n>',
        `how many of the last lines to print first (default ${DEFAULT_LOG_LINES})`,
        positiveInt('--lines'),
      )
      .addOption(
        new Option(
          '--format <format>',
          "the gateway's JSON lines made readable (default on a terminal), or as they are",
        ).choices(LOG_FORMAT_CHOICES),
      )
      .action(act(lazy('logs', 'logs')));
    const service = group(
      program,
      'service',
      'run the gateway from login (systemd user unit, launchd agent)',
    );
    gatewayAddress(
      service
        .command('install')
        .description('write the systemd user unit / launchd agent, then enable and start it')
        .option('--no-start', 'only write the file and print the commands that enable and start it'),
    ).action(act(lazy('service', 'install')));
    service
      .command('uninstall')
      .description('stop and disable the service and remove its file')
      .option('--no-start', 'only remove the file and print the commands that stop and disable it')
      .action(act(lazy('service', 'uninstall')));
  }

  if (wants('connect', 'import')) {
    // --- connect / import
    program
      .command('connect')
      .description("write an app's MCP config to use mcpmux (backup first; other entries kept)")
      .addArgument(new Argument('<app>', CONNECT_APPS.join(' | ')).choices([...CONNECT_APPS]))
      .requiredOption('--client <id>', 'client id the app connects as')
      .option('--http', "write the gateway's URL (Streamable HTTP) instead of the stdio bridge")
      .option('--config <file>', "the app's config file (default: the app's usual path)")
      .option('--entry <name>', 'the entry name in the app config', 'mcpmux')
      .option('--dry-run', 'show what would be written')
      .action(act(lazy('connect', 'connect')));
    program
      .command('import')
      .description(
        'import the MCP servers of an app config (claude-desktop, cursor, vscode, or a FILE); credentials move into the vault',
      )
      .argument('<source>', 'claude-desktop | cursor | vscode | claude-code | windsurf | FILE')
      .option(...SPACE_OPTION)
      .option('--dry-run', 'show the plan, change nothing')
      .option(
        '--replace',
        "replace the imported entries in the app's config with one mcpmux entry (backup first; asked on a terminal)",
      )
      .option(
        '--client <id>',
        'with --replace: the client the mcpmux entry connects as (default: quickstart)',
      )
      .option('--entry <name>', 'with --replace: the mcpmux entry name in the app config (default: mcpmux)')
      .action(act(lazy('connect', 'importServers')));
  }

  if (wants('login', 'logout')) {
    // --- login / logout
    program
      .command('login')
      .description('sign in to a hosted HTTP server with OAuth (tokens go to the vault, per Space)')
      .argument('<server>', 'server id')
      .option(...SPACE_OPTION)
      .option(
        '--open',
        'open the sign-in page in the browser (default on a terminal with a display, or macOS)',
      )
      .option('--no-open', 'only print the sign-in link')
      .option(
        '--timeout <seconds>',
        'how long to wait for the browser (default 300)',
        positiveInt('--timeout'),
      )
      .action(act(lazy('login', 'login')));
    program
      .command('logout')
      .description('forget the OAuth sign-in of a server in a Space (deletes its tokens)')
      .argument('<server>', 'server id')
      .option(...SPACE_OPTION)
      .action(act(lazy('login', 'logout')));
  }

  if (wants('ui')) {
    // --- ui
    program
      .command('ui')
      .description(
        "print a single-use login link to the running gateway's web console (expires in 5 minutes) and open it",
      )
      .option('--open', 'open the link in the browser (default on a terminal with a display, or macOS)')
      .option('--no-open', 'only print the link')
      .action(act(lazy('ui', 'ui')));
  }

  if (wants('status', 'doctor', 'catalog', 'completion')) {
    // --- status / doctor / catalog / completion
    program
      .command('status')
      .description('home, active Space, servers, clients, gateway')
      .action(act(lazy('status', 'status')));
    program
      .command('doctor')
      .description('check the home, vault, servers and app configs; print fixes')
      .action(act(lazy('home', 'doctor')));
    program
      .command('catalog')
      .description('list the bundled catalog of well-known servers')
      .argument('[search]', 'filter by id, name or description')
      .action(act(lazy('home', 'catalog')));
    program
      .command('completion')
      .description('print a shell completion script (bash, zsh, fish)')
      .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(['bash', 'zsh', 'fish']))
      .action(
        act(async (ctx, shell: 'bash' | 'zsh' | 'fish') =>
          (await commands.home()).completion(ctx, shell, program),
        ),
      );
  }

  if (only !== undefined && !known.has(only)) return buildProgram(io, state);
  return program;
}

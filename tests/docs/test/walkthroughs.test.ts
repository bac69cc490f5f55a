// Every `sh` block marked `<!-- test: NAME -->` in README.md and docs/ runs here, unchanged, with
// bash against the built CLI in a temporary HOME. The blocks of one guide run in order in one
// sandbox, as a reader would type them. Guides run concurrently (each CLI call is its own process).
import { afterAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_FILES, markedBlock, markedBlocks } from './blocks.js';
import { type Sandbox, sandbox } from './sandbox.js';

const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) sb.cleanup();
});

function open(vars: Record<string, string> = {}): Sandbox {
  const sb = sandbox(vars);
  sandboxes.push(sb);
  return sb;
}

/** Runs one marked block; fails with its output unless it exits 0. Returns stdout. */
async function run(sb: Sandbox, file: string, name: string): Promise<string> {
  const block = markedBlock(file, name);
  expect(block.lang).toBe('sh');
  const r = await sb.sh(block.code);
  if (r.status !== 0) {
    throw new Error(`${file} "${name}" exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout;
}

interface ToolRow {
  kind: string;
  server: string;
  name: string;
  exposedName: string;
}
interface Explanation {
  allowed: boolean;
  inCatalog: boolean;
  includedBy: string[][];
  excludedBy: string[][];
}
interface McpConfig {
  mcpServers?: Record<string, { command: string; args: string[] }>;
  servers?: Record<string, { command: string; args: string[] }>;
}
const names = (rows: ToolRow[]) => rows.map((r) => r.name);

/** The blocks each test below runs, per file; checked against the files so none goes untested. */
const COVERED: Record<string, string[]> = {
  'README.md': ['readme-next-steps', 'readme-work-vs-personal'],
  'docs/spaces.md': ['spaces', 'spaces-delete'],
  'docs/featuresets.md': [
    'featuresets-sandbox',
    'featuresets-roles',
    'featuresets-guards',
    'featuresets-edit',
  ],
  'docs/clients.md': ['clients', 'connect'],
  'docs/vault.md': ['vault'],
  'docs/troubleshooting.md': ['troubleshooting-visibility'],
  'docs/embedding-featuresets.md': ['embedding-example'],
};

it('covers every marked block of the documentation', () => {
  for (const file of DOCUMENTED_FILES) {
    expect(
      markedBlocks(file).map((b) => b.name),
      file,
    ).toEqual(COVERED[file]);
  }
});

describe.concurrent('walkthroughs', () => {
  it('runs the README next steps and Work vs Personal after npm start', async () => {
    const sb = open();
    // What `npm start` did first (scripts/start.mjs): the home and the quickstart client.
    await sb.ok(['init']);
    await sb.ok(['client', 'add', 'quickstart', '--name', 'Quick start']);

    const next = await run(sb, 'README.md', 'readme-next-steps');
    expect(next).toMatch(/Connected: 9 tools/);
    expect(next).toMatch(/memory_read_graph/);
    for (const path of ['.cursor/mcp.json', '.config/Claude/claude_desktop_config.json', '.claude.json']) {
      const entry = sb.readJson<McpConfig>(path).mcpServers?.mcpmux;
      expect(entry?.args.slice(-3), path).toEqual(['stdio', '--client', 'quickstart']);
    }

    const wvp = await run(sb, 'README.md', 'readme-work-vs-personal');
    expect(wvp).toMatch(/Active Space: work/);
    const work = await sb.json<ToolRow[]>(['tools', '--client', 'quickstart', '--space', 'work']);
    expect(names(work)).toContain('read_graph');
    expect(names(work).filter((n) => n.startsWith('delete_'))).toEqual([]);
    const personal = await sb.json<ToolRow[]>(['tools', '--client', 'quickstart', '--space', 'personal']);
    expect(names(personal)).toContain('delete_entities');
    const spaces = await sb.json<{ id: string; active: boolean }[]>(['space', 'list']);
    expect(spaces.find((s) => s.active)?.id).toBe('personal');
  });

  it('runs the Spaces guide: default-enabled, local disable and override, pinned, delete', async () => {
    const sb = open();
    const out = await run(sb, 'docs/spaces.md', 'spaces');
    expect(out).toMatch(/Overrides for this Space: env/);
    expect(out).toMatch(/memory\s+memory\s+enabled\s+default-enabled/);
    expect(out).toMatch(/memory\s+memory\s+disabled\s+default-enabled/);
    expect(JSON.parse(out.slice(out.lastIndexOf('[')))).toEqual([
      { id: 'personal', name: 'Personal', active: false },
      { id: 'work', name: 'Work', active: true },
    ]);
    const claude = await sb.ok(['client', 'show', 'claude']);
    expect(claude.stdout).toMatch(/pinned work/);

    await run(sb, 'docs/spaces.md', 'spaces-delete');
    expect(await sb.json(['space', 'list'])).toEqual([{ id: 'personal', name: 'Personal', active: true }]);
    // The default-enabled definition survives, still disabled in personal.
    const servers = await sb.json<{ id: string; enabled: boolean }[]>(['server', 'list']);
    expect(servers).toMatchObject([{ id: 'memory', enabled: false }]);
  });

  it('runs the FeatureSets sandbox: annotation selectors on the filesystem server', async () => {
    const sb = open();
    const sandboxOut = await run(sb, 'docs/featuresets.md', 'featuresets-sandbox');
    expect(sandboxOut).toMatch(/Connected: 14 tools/);
    expect(sandboxOut).toMatch(
      /DENIED tool:filesystem\/write_file for client agent in Space personal\n {2}included by: sandbox\n {2}excluded by: sandbox/,
    );
    const agent = names(await sb.json<ToolRow[]>(['tools', '--client', 'agent']));
    expect(agent).toContain('create_directory');
    expect(agent).toContain('read_text_file');
    for (const destructive of ['write_file', 'edit_file', 'move_file'])
      expect(agent).not.toContain(destructive);
    const reviewer = JSON.parse(sandboxOut.slice(sandboxOut.lastIndexOf('\n[') + 1)) as ToolRow[];
    expect(names(reviewer)).toContain('list_directory');
    expect(names(reviewer)).not.toContain('create_directory');
  });

  it('runs the FeatureSets roles, domains, guards and edits', async () => {
    const sb = open();
    // What the sandbox walkthrough before them left behind (run in parallel in its own sandbox).
    await sb.ok(['init']);
    await sb.ok(['featureset', 'create', 'read-only', '--name', 'Read Only']);
    await sb.ok(['featureset', 'include', 'read-only', 'readonly']);
    await sb.ok(['client', 'add', 'agent']);

    const roles = await run(sb, 'docs/featuresets.md', 'featuresets-roles');
    expect(roles).toMatch(/DENIED tool:deploy\/deploy_service for client agent/);
    expect(roles).toMatch(/included by: senior-developer -> all/);
    expect(roles).toMatch(/excluded by: senior-developer\n/);

    const guards = await run(sb, 'docs/featuresets.md', 'featuresets-guards');
    expect(guards).toMatch(/DENIED tool:deploy\/deploy_service for client oncall/);
    const deploy = await sb.json<Explanation>([
      'explain',
      '--client',
      'oncall',
      'tool:deploy/deploy_service',
    ]);
    expect(deploy.includedBy).toEqual([['devops', 'deployment']]);
    expect(deploy.excludedBy).toEqual([['no-deploy']]);
    const del = await sb.json<Explanation>(['explain', '--client', 'oncall', 'tool:github/delete_branch']);
    expect(del).toMatchObject({ allowed: false, excludedBy: [['no-delete']] });
    // Developer's code editing still reaches the oncall client through DevOps.
    const write = await sb.json<Explanation>(['explain', '--client', 'oncall', 'tool:filesystem/write_file']);
    // (filesystem is not installed in this sandbox, so it is not in the catalog: trails only.)
    expect(write.includedBy).toContainEqual(['devops', 'developer', 'code-editing']);
    expect(write.excludedBy).toEqual([]);

    await run(sb, 'docs/featuresets.md', 'featuresets-edit');
    const sets = await sb.json<{ id: string }[]>(['featureset', 'list']);
    expect(sets.map((s) => s.id)).not.toContain('intern');
    const developer = await sb.json<{ members: { selector: { type: string; id?: string } }[] }>([
      'featureset',
      'show',
      'developer',
    ]);
    expect(developer.members.map((m) => m.selector.id)).toEqual(['read-only', 'code-editing']);
  });

  it('runs the Clients guide: keys, rotation, modes, removal and connect', async () => {
    const sb = open();
    const out = await run(sb, 'docs/clients.md', 'clients');
    const keys = out.match(/mcpmux_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(keys).toHaveLength(3); // add cursor, add ci (JSON accessKey), rotate cursor
    expect(new Set(keys).size).toBe(3);
    expect(out).toMatch(/"accessKey": "mcpmux_/);
    expect(out).toMatch(/previous keys are revoked/);
    const clients = await sb.json<{ id: string; mode: string }[]>(['client', 'list']);
    expect(clients.map((c) => [c.id, c.mode])).toEqual([['cursor', 'follow-active']]);

    const connect = await run(sb, 'docs/clients.md', 'connect');
    expect(connect).toMatch(/Would write .*claude_desktop_config\.json/);
    expect(sb.exists('.config/Claude/claude_desktop_config.json')).toBe(false);
    expect(sb.readJson<McpConfig>('.mcp.json').mcpServers?.mcpmux?.args.slice(-3)).toEqual([
      'stdio',
      '--client',
      'claude',
    ]);
    expect(sb.readJson<McpConfig>('.cursor/mcp.json').mcpServers?.mcpmux?.args.at(-1)).toBe('cursor');
    expect(sb.readJson<McpConfig>('.config/Code/User/mcp.json').servers?.mcpmux?.args.at(-1)).toBe('cursor');
    expect(sb.readJson<McpConfig>('.codeium/windsurf/mcp_config.json').mcpServers?.mcpmux).toBeDefined();
  });

  it('runs the vault guide: secrets from stdin, references, global scope, removal', async () => {
    const token = 'work-token-0123456789';
    const sb = open({ WORK_API_TOKEN: token, SEARCH_API_KEY: 'search-key-0123456789' });
    const out = await run(sb, 'docs/vault.md', 'vault');
    expect(out).toContain(['Bearer $', '{secret:API_TOKEN}'].join(''));
    expect(out).not.toContain(token);
    const secrets = await sb.json<{ server: string; name: string; scope: string }[]>([
      'secret',
      'list',
      '--all',
    ]);
    expect(secrets.map((s) => `${s.server}/${s.name}@${s.scope}`)).toEqual(['search/SEARCH_API_KEY@global']);
  });

  it('runs the troubleshooting commands for an invisible tool', async () => {
    const sb = open();
    await sb.ok(['init']);
    await sb.ok(['server', 'add', 'memory']);
    await sb.ok(['client', 'add', 'cursor']);
    await sb.ok(['client', 'grant', 'cursor', 'server-all:memory']);
    const out = await run(sb, 'docs/troubleshooting.md', 'troubleshooting-visibility');
    expect(out).toMatch(/memory_read_graph/);
    expect(out).toMatch(/ALLOWED tool:memory\/read_graph for client cursor in Space personal/);
    expect(JSON.parse(out.slice(out.lastIndexOf('\n{') + 1))).toEqual({
      allowed: true,
      inCatalog: true,
      includedBy: [['server-all:memory']],
      excludedBy: [],
    });
  });
});

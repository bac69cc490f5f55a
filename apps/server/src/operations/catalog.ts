import type { ServerTransportInput } from '@mcpmux/space-store';
import { ARGV_FROM_ENV_LABEL, ARGV_FROM_ENV_SCRIPT, argvFromEnv } from './argv-from-env.js';

/** An input a catalog server declares (a credential when `secret`). */
export interface CatalogInput {
  name: string;
  description: string;
  secret: boolean;
  required: boolean;
}

/** A well-known MCP server `mcpmux server add ID` can install without `--command`. */
export interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  /**
   * How to launch it; secret inputs appear as `${secret:NAME}` references in env/headers, never in
   * `command`/`args` (mcpmux refuses secrets in a command line: every local user can read it).
   */
  transport: ServerTransportInput;
  inputs: CatalogInput[];
  /** A hint printed after install (e.g. which `--arg` to give). */
  hint?: string;
}

const npx = (pkg: string, ...args: string[]): ServerTransportInput => ({
  type: 'stdio',
  command: 'npx',
  args: ['-y', pkg, ...args],
});
const uvx = (pkg: string, ...args: string[]): ServerTransportInput => ({
  type: 'stdio',
  command: 'uvx',
  args: [pkg, ...args],
});
const secretInput = (name: string, description: string): CatalogInput => ({
  name,
  description,
  secret: true,
  required: true,
});
const withEnv = (t: ServerTransportInput, names: string[]): ServerTransportInput =>
  t.type === 'stdio' ? { ...t, env: Object.fromEntries(names.map((n) => [n, `\${secret:${n}}`])) } : t;

/** The bundled catalog, sorted by id. */
export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'brave-search',
    name: 'Brave Search',
    description: 'Web and local search with the Brave Search API.',
    transport: withEnv(npx('@modelcontextprotocol/server-brave-search'), ['BRAVE_API_KEY']),
    inputs: [secretInput('BRAVE_API_KEY', 'Brave Search API key (https://brave.com/search/api/)')],
  },
  {
    id: 'everything',
    name: 'Everything',
    description: 'Reference server exercising every MCP feature (tools, prompts, resources, sampling).',
    transport: npx('@modelcontextprotocol/server-everything'),
    inputs: [],
  },
  {
    id: 'fetch',
    name: 'Fetch',
    description: 'Fetches web pages and converts them to markdown.',
    transport: uvx('mcp-server-fetch'),
    inputs: [],
  },
  {
    id: 'filesystem',
    name: 'Filesystem',
    description: 'Reads and writes files under the directories given as arguments.',
    transport: npx('@modelcontextprotocol/server-filesystem'),
    inputs: [],
    hint: 'Give the allowed directories with --arg DIR (default: the current directory).',
  },
  {
    id: 'git',
    name: 'Git',
    description: 'Reads and manipulates Git repositories.',
    transport: uvx('mcp-server-git'),
    inputs: [],
  },
  {
    id: 'github',
    name: 'GitHub',
    description: 'Repositories, issues and pull requests through the GitHub API.',
    transport: withEnv(npx('@modelcontextprotocol/server-github'), ['GITHUB_PERSONAL_ACCESS_TOKEN']),
    inputs: [secretInput('GITHUB_PERSONAL_ACCESS_TOKEN', 'GitHub personal access token')],
  },
  {
    id: 'gitlab',
    name: 'GitLab',
    description: 'Projects, issues and merge requests through the GitLab API.',
    transport: {
      type: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-gitlab'],
      env: {
        GITLAB_PERSONAL_ACCESS_TOKEN: '${secret:GITLAB_PERSONAL_ACCESS_TOKEN}',
        GITLAB_API_URL: 'https://gitlab.com/api/v4',
      },
    },
    inputs: [secretInput('GITLAB_PERSONAL_ACCESS_TOKEN', 'GitLab personal access token')],
  },
  {
    id: 'google-maps',
    name: 'Google Maps',
    description: 'Geocoding, places and directions.',
    transport: withEnv(npx('@modelcontextprotocol/server-google-maps'), ['GOOGLE_MAPS_API_KEY']),
    inputs: [secretInput('GOOGLE_MAPS_API_KEY', 'Google Maps API key')],
  },
  {
    id: 'memory',
    name: 'Memory',
    description: 'A knowledge-graph memory kept in a local file.',
    transport: npx('@modelcontextprotocol/server-memory'),
    inputs: [],
  },
  {
    id: 'postgres',
    name: 'PostgreSQL',
    description: 'Read-only SQL queries and schema inspection.',
    // The server takes its URL (with the password) only as an argument, and a secret never goes in
    // a command line: the URL travels in the environment and a tiny launcher (`argvFromEnv`) hands it
    // to the server in-process, so it never appears in any /proc/PID/cmdline.
    transport: argvFromEnv('@modelcontextprotocol/server-postgres', 'mcp-server-postgres', ['DATABASE_URL']),
    inputs: [secretInput('DATABASE_URL', 'postgresql://user:password@host:5432/db connection URL')],
  },
  {
    id: 'puppeteer',
    name: 'Puppeteer',
    description: 'Browser automation with a headless Chromium.',
    transport: npx('@modelcontextprotocol/server-puppeteer'),
    inputs: [],
  },
  {
    id: 'sequential-thinking',
    name: 'Sequential Thinking',
    description: 'Structured step-by-step problem solving.',
    transport: npx('@modelcontextprotocol/server-sequential-thinking'),
    inputs: [],
  },
  {
    id: 'slack',
    name: 'Slack',
    description: 'Channels, messages and users of a Slack workspace.',
    transport: withEnv(npx('@modelcontextprotocol/server-slack'), ['SLACK_BOT_TOKEN', 'SLACK_TEAM_ID']),
    inputs: [
      secretInput('SLACK_BOT_TOKEN', 'Slack bot token (xoxb-...)'),
      { name: 'SLACK_TEAM_ID', description: 'Slack workspace (team) id', secret: true, required: true },
    ],
  },
  {
    id: 'sqlite',
    name: 'SQLite',
    description: 'Queries a local SQLite database.',
    transport: uvx('mcp-server-sqlite'),
    inputs: [],
    hint: 'Give the database with --arg --db-path --arg FILE.',
  },
  {
    id: 'time',
    name: 'Time',
    description: 'Current time and time-zone conversion.',
    transport: uvx('mcp-server-time'),
    inputs: [],
  },
];

/** The catalog entry `id`, if bundled. */
export function findCatalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

/** Entries whose id, name or description contains `term` (case-insensitive); all when empty. */
export function searchCatalog(term: string | undefined): CatalogEntry[] {
  const t = (term ?? '').trim().toLowerCase();
  if (t === '') return [...CATALOG];
  return CATALOG.filter((e) => `${e.id} ${e.name} ${e.description}`.toLowerCase().includes(t));
}

/** `npx -y pkg` or the URL: how a transport is shown in tables (the argv-from-env launcher abbreviated). */
export function describeTransport(t: ServerTransportInput): string {
  if (t.type === 'stdio')
    return [
      t.command,
      ...(t.args ?? []).map((a) => (a === ARGV_FROM_ENV_SCRIPT ? ARGV_FROM_ENV_LABEL : a)),
    ].join(' ');
  return t.type === 'sse' ? `${t.url} (sse)` : t.url;
}

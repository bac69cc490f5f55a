import {
  appConfigPath,
  extractSecrets,
  isCredential,
  isObviousCredential,
  planConnect,
  readAppServers,
  slugFromName,
  stripJsonc,
} from '@mcpmux/server/operations';
import { describe, expect, it } from 'vitest';

const launch = { command: '/usr/bin/node', args: ['/opt/mcpmux/bin.js', 'stdio', '--client', 'cursor'] };

describe('planConnect', () => {
  it('adds the mcpmux entry and keeps other servers and top-level keys', () => {
    const text = JSON.stringify({ theme: 'dark', mcpServers: { other: { command: 'x' } } });
    const plan = planConnect('cursor', text, '/c/mcp.json', 'mcpmux', launch);
    expect(plan.changed).toBe(true);
    const out = JSON.parse(plan.content);
    expect(out.theme).toBe('dark');
    expect(out.mcpServers.other).toEqual({ command: 'x' });
    expect(out.mcpServers.mcpmux).toEqual({ command: launch.command, args: launch.args });
  });

  it('is idempotent: a second plan over its own output changes nothing', () => {
    const first = planConnect('vscode', undefined, '/c/mcp.json', 'mcpmux', launch);
    const second = planConnect('vscode', first.content, '/c/mcp.json', 'mcpmux', launch);
    expect(second.changed).toBe(false);
    expect(second.content).toBe(first.content);
    expect(JSON.parse(first.content).servers.mcpmux.type).toBe('stdio');
  });

  it('replaces an older mcpmux entry and says so', () => {
    const text = JSON.stringify({ mcpServers: { mcpmux: { command: 'old' } } });
    const plan = planConnect('claude-desktop', text, '/c/x.json', 'mcpmux', launch);
    expect(plan.replaced).toBe(true);
    expect(JSON.parse(plan.content).mcpServers.mcpmux.command).toBe('/usr/bin/node');
  });

  it('refuses a file it cannot parse, naming the file', () => {
    expect(() => planConnect('cursor', '{ "mcpServers": ', '/c/broken.json', 'mcpmux', launch)).toThrowError(
      /Cannot parse \/c\/broken\.json/,
    );
    expect(() => planConnect('cursor', '[1]', '/c/arr.json', 'mcpmux', launch)).toThrowError(
      /not a JSON object/,
    );
    expect(() => planConnect('cursor', '{"mcpServers": 3}', '/c/n.json', 'mcpmux', launch)).toThrowError(
      /not an object/,
    );
  });

  it('reads JSONC with comments and trailing commas', () => {
    const text = '{\n // servers\n "servers": { "a": { "command": "x", }, /* c */ },\n}';
    expect(JSON.parse(stripJsonc(text))).toEqual({ servers: { a: { command: 'x' } } });
    expect(stripJsonc('{"u": "http://x//y", "s": "/* no */"}')).toBe('{"u": "http://x//y", "s": "/* no */"}');
  });

  it('knows each app config path per platform', () => {
    expect(appConfigPath('cursor', '/h', 'linux', {})).toBe('/h/.cursor/mcp.json');
    expect(appConfigPath('claude-desktop', '/h', 'darwin', {})).toBe(
      '/h/Library/Application Support/Claude/claude_desktop_config.json',
    );
    expect(appConfigPath('claude-desktop', '/h', 'linux', {})).toBe(
      '/h/.config/Claude/claude_desktop_config.json',
    );
    expect(appConfigPath('claude-desktop', 'C:/u', 'win32', { APPDATA: 'C:/u/AppData/Roaming' })).toContain(
      'AppData/Roaming',
    );
    expect(appConfigPath('vscode', '/h', 'linux', { XDG_CONFIG_HOME: '/x' })).toBe('/x/Code/User/mcp.json');
    expect(appConfigPath('windsurf', '/h', 'linux', {})).toBe('/h/.codeium/windsurf/mcp_config.json');
    expect(appConfigPath('claude-code', '/h', 'linux', {})).toBe('/h/.claude.json');
  });
});

describe('readAppServers', () => {
  it('reads stdio, http and sse entries and skips mcpmux itself', () => {
    const text = JSON.stringify({
      mcpServers: {
        GitHub: { command: 'npx', args: ['-y', 'gh'], env: { GITHUB_TOKEN: 'ghp_x' } },
        remote: { url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer abc' } },
        legacy: { url: 'https://old.example.com/sse' },
        wind: { serverUrl: 'https://w.example.com/mcp' },
        mcpmux: { command: 'mcpmux', args: ['stdio', '--client', 'x'] },
        broken: { foo: 1 },
      },
    });
    const { servers, skipped } = readAppServers(text, '/c.json');
    expect(servers.map((s) => [s.id, s.transport.type])).toEqual([
      ['github', 'stdio'],
      ['remote', 'http'],
      ['legacy', 'sse'],
      ['wind', 'http'],
    ]);
    expect(skipped.map((s) => s.name)).toEqual(['mcpmux', 'broken']);
  });

  it("reads VS Code's servers key and mcp.servers of a settings file", () => {
    expect(readAppServers('{"servers":{"a":{"type":"stdio","command":"x"}}}', 'f').servers).toHaveLength(1);
    expect(readAppServers('{"mcp":{"servers":{"b":{"command":"y"}}}}', 'f').servers[0]?.id).toBe('b');
    expect(readAppServers('{}', 'f').servers).toEqual([]);
  });

  it('derives distinct slug ids', () => {
    expect(slugFromName('My Server!')).toBe('my-server');
    expect(slugFromName('***')).toBe('server');
    const { servers } = readAppServers('{"mcpServers":{"A b":{"command":"x"},"a-b":{"command":"y"}}}', 'f');
    expect(servers.map((s) => s.id)).toEqual(['a-b', 'a-b-2']);
  });
});

describe('extractSecrets', () => {
  it('moves credential env values into secret references and keeps the rest', () => {
    const x = extractSecrets({
      type: 'stdio',
      command: 'npx',
      args: ['postgres://u:pw@db/x', 'plain'],
      env: { GITHUB_TOKEN: 'ghp_abc', DEBUG: '1', PATH_VAR: '${HOME}/bin', ALREADY: '${secret:X}' },
    });
    expect(x.transport).toEqual({
      type: 'stdio',
      command: 'npx',
      args: ['${secret:ARG_0}', 'plain'],
      env: {
        GITHUB_TOKEN: '${secret:GITHUB_TOKEN}',
        DEBUG: '1',
        PATH_VAR: '${env:HOME}/bin',
        ALREADY: '${secret:X}',
      },
    });
    expect(x.secrets).toEqual([
      { name: 'ARG_0', value: 'postgres://u:pw@db/x' },
      { name: 'GITHUB_TOKEN', value: 'ghp_abc' },
    ]);
  });

  it('moves Authorization headers and turns VS Code inputs into secrets to set', () => {
    const x = extractSecrets({
      type: 'http',
      url: 'https://x',
      headers: { Authorization: 'Bearer abc', 'X-Api-Key': '${input:api-key}' },
    });
    expect(x.transport).toEqual({
      type: 'http',
      url: 'https://x',
      headers: { Authorization: '${secret:AUTHORIZATION}', 'X-Api-Key': '${secret:API_KEY}' },
    });
    expect(x.secrets).toEqual([{ name: 'AUTHORIZATION', value: 'Bearer abc' }]);
    expect(x.unresolved).toEqual(['API_KEY']);
  });

  it('refuses only obvious credentials on the command line', () => {
    expect(isObviousCredential('GITHUB_TOKEN', 'abc')).toBe(true);
    expect(isObviousCredential('X', 'ghp_abc')).toBe(true);
    expect(isObviousCredential('AUTH_MODE', 'none')).toBe(false);
    expect(isObviousCredential('API_KEY', '${secret:API_KEY}')).toBe(false);
  });

  it('recognises credentials by name and by value shape', () => {
    expect(isCredential('OPENAI_API_KEY', 'abc')).toBe(true);
    expect(isCredential('SOMETHING', 'sk-abc')).toBe(true);
    expect(isCredential('DB', 'mysql://root:pw@localhost/db')).toBe(true);
    expect(isCredential('LOG_LEVEL', 'debug')).toBe(false);
    expect(isCredential('API_KEY', '${secret:API_KEY}')).toBe(false);
    expect(isCredential('Authorization', 'Bearer ${secret:T}')).toBe(false);
  });
});

import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { descendants, everythingServer, fixtureServer } from '../test/upstream/helpers.js';
import { probeServer } from './probe.js';

describe('probeServer', { timeout: 30_000 }, () => {
  it('returns every page of the catalog and leaves no child process', async () => {
    const before = descendants();
    const catalog = await probeServer(
      fixtureServer('lists', 'list-changing.mjs', { FIXTURE_PAGE_SIZE: '3' }),
    );
    expect(catalog.tools).toHaveLength(29);
    expect(catalog.prompts).toHaveLength(7);
    expect(catalog.resources).toHaveLength(7);
    expect(catalog.resourceTemplates).toHaveLength(3);
    expect(catalog.version).toBe(1);
    expect(descendants()).toEqual(before);
  });

  it('resolves secrets through resolveConfig for the given Space', async () => {
    const seen: string[] = [];
    const catalog = await probeServer(everythingServer(), {
      spaceId: 'work',
      resolveConfig: async (spaceId, server) => {
        seen.push(`${spaceId}/${server.serverId}`);
        return { config: server, secretValues: [] };
      },
    });
    expect(seen).toEqual(['work/everything']);
    expect(catalog.serverInfo.name).toBe('mcp-servers/everything');
    expect(catalog.tools.map((t) => t.name)).toContain('echo');
  });

  it('throws UPSTREAM_UNAVAILABLE naming the reason when the server exits at start', async () => {
    const before = descendants();
    const error = await probeServer({
      serverId: 'broken',
      defaultEnabled: false,
      transport: { type: 'stdio', command: process.execPath, args: ['-e', 'process.exit(7)'] },
    }).catch((e: unknown) => e);
    expect(isMcpmuxError(error, 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toBe('Server "broken" could not be probed: process exited with code 7');
    expect(descendants()).toEqual(before);
  });
});

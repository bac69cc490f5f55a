import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { fixturePath } from './helpers/cli.js';
import { descendantsOf, isAlive, killGroup, waitFor } from './helpers/processes.js';

// The harness itself: the fixture server the scenarios rely on, and the process bookkeeping that
// the no-orphans checks rely on.
describe('e2e harness', () => {
  it('env-echo returns the credential and label it was started with', async () => {
    const client = new Client({ name: 'harness', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [fixturePath('env-echo.mjs')],
        env: { ...process.env, FIXTURE_TOKEN: 'tok-1', FIXTURE_LABEL: 'lab' } as Record<string, string>,
      }),
    );
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'token=tok-1' }]);
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['fixture://lab/notes']);
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'deploy')?.annotations?.destructiveHint).toBe(true);
      expect(tools.find((t) => t.name === 'restart')?.annotations).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('finds grandchildren of a process and sees them exit', async () => {
    const parent = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    try {
      const found = await waitFor(
        () => (descendantsOf(parent.pid!).length === 2 ? descendantsOf(parent.pid!) : undefined),
        {
          what: 'two sleep children',
        },
      );
      expect(found.every(isAlive)).toBe(true);
      killGroup(parent.pid!, 'SIGKILL');
      await waitFor(() => found.every((p) => !isAlive(p)), { what: 'the children to exit' });
    } finally {
      killGroup(parent.pid!, 'SIGKILL');
    }
  });

  it('gives up a bounded poll with the condition named', async () => {
    await expect(waitFor(() => false, { timeoutMs: 100, what: 'the impossible' })).rejects.toThrow(
      /the impossible/,
    );
  });
});

#!/usr/bin/env node
/**
 * Captures the real tool lists of the MCP servers installable from npm here by starting each one
 * over stdio and asking `tools/list` with the SDK client; writes bench/lean/fixtures/<id>.json.
 * Run once (or after bumping a server): `node bench/lean/capture.mjs`. The git server's list is
 * transcribed from its source (mcp-server-git is a Python package, not installable here): see
 * fixtures/git.json's `source`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'mcpmux-lean-capture-'));

/** A package's bin entry as an absolute path. */
function binOf(pkg) {
  const manifest = require(`${pkg}/package.json`);
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin)[0];
  return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
}

const SERVERS = [
  { id: 'everything', pkg: '@modelcontextprotocol/server-everything', args: ['stdio'] },
  { id: 'filesystem', pkg: '@modelcontextprotocol/server-filesystem', args: [scratch] },
  {
    id: 'memory',
    pkg: '@modelcontextprotocol/server-memory',
    args: [],
    env: { MEMORY_FILE_PATH: join(scratch, 'm.jsonl') },
  },
  // Lists its tools without a token (calls would need GITHUB_PERSONAL_ACCESS_TOKEN).
  { id: 'github', pkg: '@modelcontextprotocol/server-github', args: [] },
];

try {
  for (const s of SERVERS) {
    const version = require(`${s.pkg}/package.json`).version;
    const client = new Client({ name: 'mcpmux-lean-capture', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [binOf(s.pkg), ...s.args],
        env: { PATH: process.env.PATH ?? '', HOME: scratch, ...(s.env ?? {}) },
        stderr: 'ignore',
      }),
    );
    const tools = [];
    let cursor;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    await client.close();
    const out = { server: s.id, source: `npm ${s.pkg}@${version}, tools/list over stdio`, tools };
    writeFileSync(join(here, 'fixtures', `${s.id}.json`), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`${s.id}: ${tools.length} tools (${s.pkg}@${version})`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

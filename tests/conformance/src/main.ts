#!/usr/bin/env node
// The fixture as a process: `node dist/main.js --stdio` (for the gateway to spawn) or
// `node dist/main.js --http [PORT]` (prints the URL on stdout once listening).
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFixtureServer } from './fixture.js';
import { startFixtureHttp } from './http.js';

const mode = process.argv[2] ?? '--stdio';
if (mode === '--http') {
  const fixture = await startFixtureHttp({ port: Number(process.argv[3] ?? 0) });
  console.log(fixture.url);
  const stop = (): void => {
    fixture.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  const server = createFixtureServer();
  await server.connect(new StdioServerTransport());
  process.stdin.on('end', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

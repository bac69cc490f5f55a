#!/usr/bin/env node
// The fixture as a process:
//   node dist/main.js --stdio                 both eras over stdio (serveStdio), for the gateway to spawn
//   node dist/main.js --stdio --legacy-only   2025-11-25 only over stdio (a 2025-era upstream)
//   node dist/main.js --http [PORT]           both eras over Streamable HTTP; prints the URL once listening
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { createFixtureServer } from './fixture.js';
import { startFixtureHttp } from './http.js';

const [mode = '--stdio', arg] = process.argv.slice(2);
if (mode === '--http') {
  const fixture = await startFixtureHttp({ port: Number(arg ?? 0) });
  console.log(fixture.url);
  const stop = (): void => {
    fixture.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else if (arg === '--legacy-only') {
  // A server connected straight to a stdio transport speaks only the 2025 handshake: a
  // `server/discover` probe gets "method not found", as from any 2025-only server.
  const server = createFixtureServer();
  await server.connect(new StdioServerTransport());
  process.stdin.on('end', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
} else {
  const handle = serveStdio(() => createFixtureServer());
  process.stdin.on('end', () => {
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

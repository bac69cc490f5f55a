// The errors docs/troubleshooting.md quotes are the ones a real gateway gives: 401 without a key,
// 403 for a foreign Origin, "already running" / "in use" for a taken port, VAULT_LOCKED for a
// wrong master key.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from './blocks.js';
import { type Sandbox, sandbox } from './sandbox.js';

const guide = readFileSync(join(ROOT, 'docs', 'troubleshooting.md'), 'utf8');
let sb: Sandbox;
let serve: ReturnType<Sandbox['start']>;
let url = '';

beforeAll(async () => {
  sb = sandbox();
  await sb.ok(['init']);
  await sb.ok(['client', 'add', 'cursor']);
  serve = sb.start(['--json', 'serve', '--port', '0']);
  // The first stdout line is {"url", "port"} once the gateway listens.
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    serve.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /"url":\s*"([^"]+)"/.exec(out);
      if (match) resolve(match[1] ?? '');
    });
    serve.on('exit', (code) => reject(new Error(`mcpmux serve exited ${code} before listening`)));
  });
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  sb?.cleanup();
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'docs', version: '1' } },
};

async function post(headers: Record<string, string>): Promise<{ status: number; message: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(initialize),
  });
  const body = (await res.json()) as { error?: { message?: string } };
  return { status: res.status, message: body.error?.message ?? '' };
}

it('answers 401 with the quoted message when the key is missing or unknown', async () => {
  const quoted = 'a valid access key is required (Bearer)';
  expect(guide).toContain(quoted);
  for (const headers of [{}, { authorization: 'Bearer mcpmux_not-a-real-key' }]) {
    const r = await post(headers);
    expect(r.status).toBe(401);
    expect(r.message).toContain(quoted);
  }
});

it('answers 403 with the quoted message for a foreign Origin and for Origin: null', async () => {
  const quoted = 'Origin is not allowed';
  expect(guide).toContain(quoted);
  for (const origin of ['https://evil.example', 'null']) {
    const r = await post({ origin });
    expect(r.status).toBe(403);
    expect(r.message).toContain(quoted);
  }
});

it('refuses a second gateway for the same home, and a port another program holds, as the guide quotes', async () => {
  const first = JSON.parse(readFileSync(join(sb.home, '.mcpmux', 'gateway.json'), 'utf8')) as {
    pid: number;
  };
  const second = await sb.cli(['serve', '--port', '0']);
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(
    `error: a gateway is already running for this home (pid ${first.pid}, ${url}); use \`mcpmux stop\` or \`mcpmux status\`.`,
  );
  expect(guide).toContain(
    'error: a gateway is already running for this home (pid 4242, http://127.0.0.1:45818/mcp); use `mcpmux stop` or `mcpmux status`.',
  );

  // Another home on a port some other program holds.
  const other = createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const port = (other.address() as { port: number }).port;
    const home = join(sb.home, 'other-home');
    expect((await sb.cli(['--home', home, 'init'])).status).toBe(0);
    const taken = await sb.cli(['--home', home, 'serve', '--port', String(port)]);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(
      `error: port ${port} is in use by another program (EADDRINUSE on 127.0.0.1); use --port.`,
    );
    expect(guide).toContain(
      'error: port 45818 is in use by another program (EADDRINUSE on 127.0.0.1); use --port.',
    );
  } finally {
    other.close();
  }
});

it('fails closed with the quoted VAULT_LOCKED message under another master key', async () => {
  const wrong = await sb.cli(['secret', 'list'], {
    MCPMUX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  });
  expect(wrong.status).toBe(1);
  const quoted = 'does not unlock this vault';
  expect(wrong.stderr).toContain(`error: MCPMUX_MASTER_KEY ${quoted}`);
  expect(wrong.stderr).toContain('Nothing was decrypted and no new key was created.');
  expect(guide).toContain(quoted);
});

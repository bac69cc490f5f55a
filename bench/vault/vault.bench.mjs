#!/usr/bin/env node
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mcpmux ${secret:..} templates.

// Micro-benchmark of @mcpmux/vault: seal (set) and open (get) per secret, resolveServerConfig with 10
// references, and unlocking with a passphrase at the default scrypt cost. Medians of repeated rounds.
// Run after building the package: `pnpm --filter @mcpmux/vault build && node bench/vault/vault.bench.mjs`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvKeyProvider, createPassphraseKeyProvider, resolveServerConfig } from '@mcpmux/vault';
import { openSqliteVault } from '@mcpmux/vault/sqlite';

const ROUNDS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * Medians over ROUNDS of the mean wall-clock and CPU µs per operation of `fn` run `n` times. CPU time
 * is the steadier figure on a shared machine; wall time includes waiting for fsync.
 */
async function measure(n, fn) {
  const wall = [];
  const cpu = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const start = process.hrtime.bigint();
    const startCpu = cpuUs();
    for (let i = 0; i < n; i++) await fn(i);
    if (r === 0) continue; // round 0 warms up
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / n);
    cpu.push((cpuUs() - startCpu) / n);
  }
  return [median(wall), median(cpu)];
}

const dir = mkdtempSync(join(tmpdir(), 'mcpmux-vault-bench-'));
try {
  const path = join(dir, 'mcpmux.db');
  const vault = await openSqliteVault({
    path,
    keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
  });
  const scope = { spaceId: 'work', serverId: 'github' };
  const value = randomBytes(30).toString('base64');
  const rows = [];

  rows.push([
    'set (seal + 1 SQLite transaction, synchronous=FULL)',
    await measure(200, (i) => vault.set(scope, `K${i % 50}`, value)),
    'µs/secret',
  ]);
  rows.push([
    'get (unwrap data key + open)',
    await measure(2000, (i) => vault.get(scope, `K${i % 50}`)),
    'µs/secret',
  ]);
  rows.push(['has (no decryption)', await measure(2000, (i) => vault.has(scope, `K${i % 50}`)), 'µs/call']);

  const memory = await openSqliteVault({
    path: ':memory:',
    keyProvider: createEnvKeyProvider(randomBytes(32).toString('base64')),
  });
  rows.push([
    'set on :memory: (seal + SQLite write, no fsync)',
    await measure(2000, (i) => memory.set(scope, `K${i % 50}`, value)),
    'µs/secret',
  ]);
  rows.push([
    'get on :memory: (unwrap data key + open)',
    await measure(2000, (i) => memory.get(scope, `K${i % 50}`)),
    'µs/secret',
  ]);
  await memory.close();

  const config = {
    command: 'node',
    args: ['server.js', '--home=${env:HOME}'],
    env: {
      TOKEN: '--token=${secret:K1}',
      ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`VAR_${i}`, `\${secret:K${i + 2}}`])),
    },
    headers: { Authorization: 'Bearer ${secret:K10}', 'X-Org': '${secret:K11}' },
  };
  const ctx = {
    vault,
    spaceId: 'work',
    serverId: 'github',
    defaultEnabled: false,
    env: { HOME: '/home/me' },
  };
  rows.push([
    'resolveServerConfig, 10 references (9 secrets, 1 env)',
    await measure(500, () => resolveServerConfig(config, ctx)),
    'µs/config',
  ]);
  await vault.close();

  const passPath = join(dir, 'pass.db');
  const created = await openSqliteVault({
    path: passPath,
    keyProvider: createPassphraseKeyProvider('bench passphrase'),
  });
  await created.close();
  const opens = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    const v = await openSqliteVault({
      path: passPath,
      keyProvider: createPassphraseKeyProvider('bench passphrase'),
    });
    opens.push(Number(process.hrtime.bigint() - start) / 1e6);
    await v.close();
  }
  // scrypt runs on the libuv thread pool; wall time is the figure that matters here.
  rows.push(['open with passphrase (scrypt N=2^17, r=8, p=1)', [median(opens), Number.NaN], 'ms/open']);

  console.log(`@mcpmux/vault micro-benchmark (node ${process.version}, median of ${ROUNDS} rounds)\n`);
  const fmt = (v) => (Number.isNaN(v) ? '-' : v.toFixed(v < 10 ? 2 : 1));
  console.log('| operation | median wall | median CPU | unit |');
  console.log('|---|---:|---:|---|');
  for (const [name, [wall, cpu], unit] of rows)
    console.log(`| ${name} | ${fmt(wall)} | ${fmt(cpu)} | ${unit} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

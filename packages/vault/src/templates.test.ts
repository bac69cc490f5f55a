// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are mcpmux ${secret:..} templates.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomEnvProvider, tempDir, thrown } from '../test/helpers.js';
import { createRedactor, REDACTED } from './redact.js';
import { openSqliteVault } from './sqlite.js';
import { assertNoSecretInArgv, resolveServerConfig, secretReferenceNames } from './templates.js';

async function vaultWithSecrets() {
  const vault = await openSqliteVault({
    path: join(tempDir(), 'mcpmux.db'),
    keyProvider: randomEnvProvider(),
  });
  await vault.set({ spaceId: 'work', serverId: 'github' }, 'TOKEN', 'ghp_space_token');
  await vault.set({ global: true, serverId: 'github' }, 'TOKEN', 'ghp_global_token');
  await vault.set({ global: true, serverId: 'github' }, 'ONLY_GLOBAL', 'global_only_value');
  await vault.set({ spaceId: 'other', serverId: 'github' }, 'OTHER_SPACE', 'other_space_value');
  return vault;
}

const ctx = (vault: Awaited<ReturnType<typeof vaultWithSecrets>>, defaultEnabled = false) => ({
  vault,
  spaceId: 'work',
  serverId: 'github',
  defaultEnabled,
  env: { HOME: '/home/me', EMPTY: '' },
});

describe('resolveServerConfig', () => {
  it('resolves secrets and env references in command, args, env, url, headers and cwd', async () => {
    const vault = await vaultWithSecrets();
    const input = {
      type: 'stdio',
      command: '${env:HOME}/bin/gh',
      args: ['--home=${env:HOME}', 'plain', '${env:EMPTY}x'],
      env: { GITHUB_TOKEN: '${secret:TOKEN}', BOTH: '${secret:TOKEN}:${env:HOME}' },
      url: 'https://api.example/${secret:TOKEN}',
      headers: { Authorization: 'Bearer ${secret:TOKEN}' },
      cwd: '${env:HOME}/work',
      timeoutSeconds: 30,
    };
    const { config, secretValues } = await resolveServerConfig(input, ctx(vault));
    expect(config).toEqual({
      type: 'stdio',
      command: '/home/me/bin/gh',
      args: ['--home=/home/me', 'plain', 'x'],
      env: { GITHUB_TOKEN: 'ghp_space_token', BOTH: 'ghp_space_token:/home/me' },
      url: 'https://api.example/ghp_space_token',
      headers: { Authorization: 'Bearer ghp_space_token' },
      cwd: '/home/me/work',
      timeoutSeconds: 30,
    });
    expect(secretValues).toEqual(['ghp_space_token']);
    expect(input.env.GITHUB_TOKEN).toBe('${secret:TOKEN}');
    await vault.close();
  });

  it('falls back to the global scope only for default-enabled servers, Space first', async () => {
    const vault = await vaultWithSecrets();
    const refs = { env: { A: '${secret:TOKEN}', B: '${secret:ONLY_GLOBAL}' } };
    const { config } = await resolveServerConfig(refs, ctx(vault, true));
    expect(config.env).toEqual({ A: 'ghp_space_token', B: 'global_only_value' });
    const err = await thrown(() => resolveServerConfig(refs, ctx(vault, false)));
    expect(err.code).toBe('SECRET_MISSING');
    expect(err.data).toEqual({ spaceId: 'work', serverId: 'github', name: 'ONLY_GLOBAL', field: 'env.B' });
    await vault.close();
  });

  it('names the Space, server and secret of a missing secret, never another Space value', async () => {
    const vault = await vaultWithSecrets();
    const err = await thrown(() =>
      resolveServerConfig({ env: { DB: '${secret:OTHER_SPACE}' } }, ctx(vault, true)),
    );
    expect(err.code).toBe('SECRET_MISSING');
    expect(err.message).toMatch(/"OTHER_SPACE".*"github".*"work"/);
    expect(`${err.message}${JSON.stringify(err)}`).not.toMatch(/other_space_value|ghp_/);
    await vault.close();
  });

  it('rejects unknown forms, invalid names, unclosed references and unset variables, naming the field', async () => {
    const vault = await vaultWithSecrets();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ headers: { X: '${vault:TOKEN}' } }, /^headers\.X: unknown reference/],
      [{ args: ['ok', '${secret:../TOKEN}'] }, /^args\[1\]: unknown reference/],
      [{ url: 'http://x/${secret:TOKEN' }, /^url: "\$\{" without/],
      [
        { env: { A: '${env:NOT_SET_ANYWHERE}' } },
        /^env\.A: the environment variable NOT_SET_ANYWHERE is not set/,
      ],
      [{ cwd: '${}' }, /^cwd: unknown reference/],
      [{ headers: { A: 'Bearer ${ghp_pasted_value}' } }, /^headers\.A: unknown reference "\$\{\.\.\.\}"/],
    ];
    for (const [config, message] of cases) {
      const err = await thrown(() => resolveServerConfig(config, ctx(vault)));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(message);
    }
    await vault.close();
  });

  it('refuses a secret in the command line before reading the vault, naming the field and what to do', async () => {
    const vault = await vaultWithSecrets();
    let reads = 0;
    const counting = new Proxy(vault, {
      get: (target, prop, receiver) => {
        if (prop === 'get') reads++;
        return Reflect.get(target, prop, receiver);
      },
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ command: 'pg', args: ['-y', 'postgres://${secret:TOKEN}@db'] }, 'args[1]'],
      [{ command: '/opt/${secret:TOKEN}/bin', args: [] }, 'command'],
    ];
    for (const [config, field] of cases) {
      const err = await thrown(() => resolveServerConfig(config, ctx(counting)));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.data).toEqual({ field, secret: 'TOKEN' });
      expect(err.message).toMatch(
        new RegExp(
          `^${field.replace(/[[\]]/g, '\\$&')} holds \\$\\{secret:TOKEN\\}.*/proc/PID/cmdline.*Pass it through the environment: --env TOKEN='\\$\\{secret:TOKEN\\}'`,
        ),
      );
      expect(err.message).not.toContain('ghp_');
    }
    expect(reads).toBe(0);
    const { config } = await resolveServerConfig(
      { command: 'pg', args: ['${env:HOME}'], env: { URL: '${secret:TOKEN}' } },
      ctx(vault),
    );
    expect(config).toEqual({ command: 'pg', args: ['/home/me'], env: { URL: 'ghp_space_token' } });
    await vault.close();
  });

  it('finds secret references for argv checks and lists their names', () => {
    expect(secretReferenceNames('a ${secret:A} ${env:HOME} ${secret:B} ${secret:A} ${secret:../x}')).toEqual([
      'A',
      'B',
    ]);
    expect(secretReferenceNames('${env:HOME}/bin')).toEqual([]);
    expect(() => assertNoSecretInArgv({ command: 'x', args: ['${env:HOME}', 'plain'] })).not.toThrow();
    expect(() => assertNoSecretInArgv({ args: ['ok', '${secret:X}'] }, (i) => `argument ${i + 1}`)).toThrow(
      /^argument 2 holds \$\{secret:X\}/,
    );
  });

  it('does not expand references inside resolved values', async () => {
    const vault = await vaultWithSecrets();
    await vault.set({ spaceId: 'work', serverId: 'github' }, 'NESTED', '${secret:TOKEN}');
    const { config } = await resolveServerConfig({ env: { A: '${secret:NESTED}' } }, ctx(vault));
    expect(config.env).toEqual({ A: '${secret:TOKEN}' });
    await vault.close();
  });
});

describe('createRedactor', () => {
  it('replaces every occurrence, longest value first, and ignores values under 4 characters', () => {
    const redact = createRedactor(['abc', 'token-1', 'token-123', 'a.b+c']);
    expect(redact('x token-123 y token-1 z abc a.b+c ab.b+c')).toBe(
      `x ${REDACTED} y ${REDACTED} z abc ${REDACTED} ab.b+c`,
    );
    expect(createRedactor([])('unchanged')).toBe('unchanged');
  });

  it('leaves no value whole in redacted text, whatever the overlaps (property)', () => {
    const value = fc.stringMatching(/^[a-z0-9]{4,10}$/);
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat()),
        fc.string(),
        (values, picks, filler) => {
          const pieces = picks.map((p) => values[p % values.length]!);
          const text = pieces.join(filler.replace(/[a-z0-9]/g, ' ')) + values.join('');
          const redacted = createRedactor(values)(text);
          for (const v of values) expect(redacted).not.toContain(v);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('resolveServerConfig without references', () => {
  it('returns every field unchanged and no secret values (property)', async () => {
    const vault = await vaultWithSecrets();
    const plain = fc.string().filter((t) => !t.includes('${'));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          command: plain,
          args: fc.array(plain),
          env: fc.dictionary(plain, plain),
          url: plain,
          cwd: plain,
        }),
        async (config) => {
          const result = await resolveServerConfig(config, ctx(vault));
          expect(result.config).toEqual(config);
          expect(result.secretValues).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
    await vault.close();
  });
});

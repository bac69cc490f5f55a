// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests store ${secret:...} and ${env:...} templates verbatim
import { type ErrorCode, isMcpmuxError } from '@mcpmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_KINDS, type SpaceStore, type StoreChange } from '../src/index.js';

/** What a contract run needs from an implementation. */
export interface ContractFactory {
  /** Opens a fresh, empty store using `clock` for every timestamp. */
  open(options: { clock: () => Date }): Promise<SpaceStore>;
}

/** A clock the tests move by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Runs `fn`, expects an McpmuxError with `code`, and returns it. */
export async function expectError(
  fn: () => Promise<unknown>,
  code: ErrorCode,
  message?: RegExp,
): Promise<{ message: string; data?: Record<string, unknown> }> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(isMcpmuxError(caught), `expected McpmuxError ${code}, got ${String(caught)}`).toBe(true);
  const err = caught as { code: string; message: string; data?: Record<string, unknown> };
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

/** Everything the public API can see, for "the store is unchanged" assertions. */
export async function visibleState(store: SpaceStore): Promise<unknown> {
  const spaces = await store.listSpaces();
  const perSpace = [];
  for (const s of spaces) {
    perSpace.push({
      sets: await store.listFeatureSets(s.id),
      installations: await store.listInstallations(s.id),
      effective: await store.effectiveServers(s.id),
      discovered: await store.listDiscovered(s.id),
    });
  }
  const clients = await store.listClients();
  const grants = [];
  for (const c of clients) grants.push(await store.listGrants(c.id));
  return {
    spaces,
    perSpace,
    servers: await store.listServers(),
    clients,
    grants,
    audit: await store.listAudit({ limit: 10_000 }),
    revision: await store.revision(),
  };
}

const stdio = (command = 'node', env: Record<string, string> = {}) => ({
  type: 'stdio' as const,
  command,
  env,
});
const tool = (server: string, name: string, hash = 'h1') => ({
  kind: 'tool' as const,
  server,
  name,
  definitionHash: hash,
});
const includeSet = (id: string) => ({
  mode: 'include' as const,
  selector: { type: 'featureSet' as const, id },
});

/**
 * The contract every {@link SpaceStore} implementation must pass. Call it inside a test file with
 * a factory that opens a fresh store.
 */
export function describeSpaceStoreContract(name: string, factory: ContractFactory): void {
  describe(`SpaceStore contract: ${name}`, () => {
    let store: SpaceStore;
    let clock: ReturnType<typeof manualClock>;

    beforeEach(async () => {
      clock = manualClock();
      store = await factory.open({ clock: clock.now });
    });
    afterEach(async () => {
      await store.close();
    });

    /** Moves the clock so each write gets its own timestamp. */
    const tick = () => clock.advance(1000);

    describe('Spaces', () => {
      it('makes the first Space active and keeps exactly one active', async () => {
        expect(await store.getActiveSpace()).toBeUndefined();
        const work = await store.createSpace({ id: 'work', name: 'Work', icon: '💼' });
        expect(work).toMatchObject({ id: 'work', name: 'Work', icon: '💼', active: true });
        await store.createSpace({ id: 'home' });
        const spaces = await store.listSpaces();
        expect(spaces.map((s) => [s.id, s.name, s.active])).toEqual([
          ['home', 'home', false],
          ['work', 'Work', true],
        ]);
        await store.setActiveSpace('home');
        expect((await store.listSpaces()).filter((s) => s.active).map((s) => s.id)).toEqual(['home']);
        expect((await store.getActiveSpace())?.id).toBe('home');
      });

      it('gives every new Space empty built-in all and default sets', async () => {
        await store.createSpace({ id: 'work' });
        const sets = await store.listFeatureSets('work');
        expect(sets.map((s) => [s.id, s.kind, s.members])).toEqual([
          ['all', 'all', []],
          ['default', 'default', []],
        ]);
      });

      it('refuses a bad slug with INVALID_INPUT naming the field and changes nothing', async () => {
        await store.createSpace({ id: 'work' });
        const before = await visibleState(store);
        const err = await expectError(
          () => store.createSpace({ id: 'Work Space' }),
          'INVALID_INPUT',
          /^space\.id:/,
        );
        expect(err.data).toEqual({ field: 'space.id' });
        expect(await visibleState(store)).toEqual(before);
      });

      it('refuses a duplicate Space id with CONFLICT', async () => {
        await store.createSpace({ id: 'work' });
        await expectError(() => store.createSpace({ id: 'work' }), 'CONFLICT', /already exists/);
      });

      it('names the Space and the command to run when it does not exist', async () => {
        await expectError(() => store.setActiveSpace('nope'), 'NOT_FOUND', /Space "nope".*mcpmux space list/);
        await expectError(() => store.effectiveServers('nope'), 'NOT_FOUND', /Space "nope"/);
        expect(await store.getSpace('nope')).toBeUndefined();
      });

      it('updates name, icon and description', async () => {
        await store.createSpace({ id: 'work' });
        tick();
        const s = await store.updateSpace('work', { name: 'Work!', description: 'the job' });
        expect(s).toMatchObject({ id: 'work', name: 'Work!', description: 'the job', active: true });
        expect(s.updatedAt.getTime()).toBeGreaterThan(s.createdAt.getTime());
      });

      it('refuses to delete the active Space unless another is named active', async () => {
        await store.createSpace({ id: 'work' });
        await expectError(() => store.deleteSpace('work'), 'FORBIDDEN', /only Space/);
        await store.createSpace({ id: 'home' });
        const before = await visibleState(store);
        await expectError(() => store.deleteSpace('work'), 'FORBIDDEN', /active Space.*mcpmux space use/);
        await expectError(() => store.deleteSpace('work', { newActiveSpaceId: 'work' }), 'INVALID_INPUT');
        await expectError(() => store.deleteSpace('work', { newActiveSpaceId: 'gone' }), 'NOT_FOUND');
        expect(await visibleState(store)).toEqual(before);
        await store.deleteSpace('work', { newActiveSpaceId: 'home' });
        expect((await store.listSpaces()).map((s) => [s.id, s.active])).toEqual([['home', true]]);
      });

      it('deletes an inactive Space with everything in it and keeps server definitions', async () => {
        await store.createSpace({ id: 'home' });
        await store.createSpace({ id: 'work' });
        await store.createServer({ id: 'gh', transport: { type: 'http', url: 'https://gh.example/mcp' } });
        await store.install('work', 'gh');
        await store.createFeatureSet('work', { id: 'dev', members: [includeSet('server-all:gh')] });
        const { client } = await store.createClient({ id: 'cursor' });
        await store.grant(client.id, 'work', 'dev');
        await store.grant(client.id, 'home', 'all');
        await store.replaceDiscovered('work', 'gh', [tool('gh', 'issue')]);
        await store.appendAudit([{ action: 'tools/call', spaceId: 'work', clientId: 'cursor' }]);
        await store.appendAudit([{ action: 'tools/call', spaceId: 'home', clientId: 'cursor' }]);

        await store.deleteSpace('work');

        expect(await store.getSpace('work')).toBeUndefined();
        expect(await store.listGrants('cursor')).toMatchObject([{ spaceId: 'home', setId: 'all' }]);
        expect((await store.listAudit()).map((e) => e.spaceId)).toEqual(['home']);
        expect((await store.getServer('gh'))?.id).toBe('gh');
        // Re-creating the Space starts from nothing.
        await store.createSpace({ id: 'work' });
        expect(await store.listInstallations('work')).toEqual([]);
        expect(await store.listDiscovered('work')).toEqual([]);
        expect((await store.listFeatureSets('work')).map((s) => s.id)).toEqual(['all', 'default']);
      });

      it('refuses two default-enabled servers with one default alias, even before any Space holds them', async () => {
        const id = 'a-very-long-server-name-number-';
        await store.createServer({ id: `${id}one`, transport: stdio(), defaultEnabled: true });
        await expectError(
          () => store.createServer({ id: `${id}two`, transport: stdio(), defaultEnabled: true }),
          'CONFLICT',
          /already uses the alias "a-very-long-server-name-"/,
        );
        await store.createServer({ id: `${id}two`, transport: stdio() });
        await expectError(() => store.updateServer(`${id}two`, { defaultEnabled: true }), 'CONFLICT');
      });

      it('refuses to delete a Space a client is pinned to, naming the client', async () => {
        await store.createSpace({ id: 'home' });
        await store.createSpace({ id: 'work' });
        await store.createClient({ id: 'claude', pinnedSpaceId: 'work' });
        await expectError(() => store.deleteSpace('work'), 'CONFLICT', /claude/);
        await store.updateClient('claude', { mode: 'follow-active' });
        await store.deleteSpace('work');
      });
    });

    describe('servers and installations', () => {
      beforeEach(async () => {
        await store.createSpace({ id: 'work' });
      });

      it('creates a definition with defaults and refuses a duplicate id', async () => {
        const def = await store.createServer({
          id: 'gh',
          transport: { type: 'http', url: 'https://gh.example/mcp' },
        });
        expect(def).toMatchObject({
          id: 'gh',
          name: 'gh',
          defaultEnabled: false,
          inputs: [],
          transport: { type: 'http', url: 'https://gh.example/mcp', headers: {} },
        });
        expect(await store.listServers()).toHaveLength(1);
        await expectError(
          () => store.createServer({ id: 'gh', transport: stdio() }),
          'CONFLICT',
          /Server "gh" already exists/,
        );
      });

      it('refuses a bad transport naming the field', async () => {
        await expectError(
          () => store.createServer({ id: 'x', transport: { type: 'http', url: 'ftp://nope' } }),
          'INVALID_INPUT',
          /^server\.transport\.url: must be an http/,
        );
        await expectError(
          () => store.createServer({ id: 'x', transport: { type: 'stdio', command: '' } }),
          'INVALID_INPUT',
          /^server\.transport\.command/,
        );
      });

      it('refuses a literal value for a declared secret input, in the definition and in overrides', async () => {
        const before = await visibleState(store);
        await expectError(
          () =>
            store.createServer({
              id: 'gh',
              transport: stdio('gh-mcp', { GITHUB_TOKEN: 'ghp_literal' }),
              inputs: [{ name: 'GITHUB_TOKEN', secret: true }],
            }),
          'INVALID_INPUT',
          /server\.transport\.env\.GITHUB_TOKEN: .*secret/,
        );
        expect(await visibleState(store)).toEqual(before);
        await store.createServer({
          id: 'gh',
          transport: stdio('gh-mcp', { GITHUB_TOKEN: '${secret:GITHUB_TOKEN}' }),
          inputs: [{ name: 'GITHUB_TOKEN', secret: true }],
        });
        await expectError(
          () => store.install('work', 'gh', { overrides: { env: { GITHUB_TOKEN: 'ghp_literal' } } }),
          'INVALID_INPUT',
          /overrides\.env\.GITHUB_TOKEN/,
        );
        await store.install('work', 'gh', { overrides: { env: { GITHUB_TOKEN: '${env:MY_TOKEN}' } } });
      });

      it('installs with the id as alias and merges overrides, keeping templates', async () => {
        await store.createServer({
          id: 'fs',
          transport: { type: 'stdio', command: 'fs-mcp', args: ['/a'], env: { A: '1', B: '2' } },
          timeoutSeconds: 30,
        });
        tick();
        const inst = await store.install('work', 'fs', {
          overrides: { args: ['/b'], env: { B: '${secret:B}', C: '${env:HOME}' }, timeoutSeconds: 5 },
        });
        expect(inst).toMatchObject({
          spaceId: 'work',
          serverId: 'fs',
          alias: 'fs',
          prefix: true,
          enabled: true,
        });
        const [eff] = await store.effectiveServers('work');
        expect(eff).toMatchObject({
          serverId: 'fs',
          alias: 'fs',
          defaultEnabled: false,
          timeoutSeconds: 5,
          transport: {
            type: 'stdio',
            command: 'fs-mcp',
            args: ['/b'],
            env: { A: '1', B: '${secret:B}', C: '${env:HOME}' },
          },
        });
        expect(eff?.definitionHash).toMatch(/^[0-9a-f]{64}$/);
        expect((await store.listFeatureSets('work')).map((s) => s.id)).toContain('server-all:fs');
      });

      it('gives equal configs equal definition hashes and different configs different ones', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'fs', transport: stdio('fs-mcp', { A: '1' }) });
        await store.install('work', 'fs');
        await store.install('home', 'fs');
        const [w] = await store.effectiveServers('work');
        const [h] = await store.effectiveServers('home');
        expect(w?.definitionHash).toBe(h?.definitionHash);
        await store.uninstall('home', 'fs');
        await store.install('home', 'fs', { overrides: { env: { A: '2' } } });
        const [h2] = await store.effectiveServers('home');
        expect(h2?.definitionHash).not.toBe(w?.definitionHash);
      });

      it('refuses a ${secret:} reference in a stdio command line, everywhere, and changes nothing', async () => {
        const before = await visibleState(store);
        const argvRule =
          /secrets never go in command-line arguments.*--env DATABASE_URL='\$\{secret:DATABASE_URL\}'/;
        const err = await expectError(
          () =>
            store.createServer({
              id: 'pg',
              transport: { type: 'stdio', command: 'npx', args: ['-y', 'pg-mcp', 'x${secret:DATABASE_URL}'] },
            }),
          'INVALID_INPUT',
          argvRule,
        );
        expect(err.data).toEqual({ field: 'server.transport.args.2', secret: 'DATABASE_URL' });
        await expectError(
          () =>
            store.createServer({ id: 'pg', transport: { type: 'stdio', command: '${secret:DATABASE_URL}' } }),
          'INVALID_INPUT',
          /^server\.transport\.command: /,
        );
        await expectError(
          () =>
            store.installServer({
              definition: {
                id: 'pg',
                transport: { type: 'stdio', command: 'pg', args: ['${secret:DATABASE_URL}'] },
              },
              spaceId: 'work',
            }),
          'INVALID_INPUT',
          /^install\.definition\.transport\.args\.0: /,
        );
        expect(await visibleState(store)).toEqual(before);

        await store.createServer({
          id: 'pg',
          transport: {
            type: 'stdio',
            command: 'pg',
            args: ['${env:PGHOST}'],
            env: { URL: '${secret:DATABASE_URL}' },
          },
        });
        const defined = await visibleState(store);
        await expectError(
          () =>
            store.updateServer('pg', {
              transport: { type: 'stdio', command: 'pg', args: ['${secret:DATABASE_URL}'] },
            }),
          'INVALID_INPUT',
          /^server\.transport\.args\.0: /,
        );
        await expectError(
          () => store.install('work', 'pg', { overrides: { args: ['--url', '${secret:DATABASE_URL}'] } }),
          'INVALID_INPUT',
          /^overrides\.args\.1: .*Pass it through the environment/,
        );
        expect(await visibleState(store)).toEqual(defined);
        await store.install('work', 'pg', { overrides: { args: ['${env:PGHOST}', 'plain'] } });
      });

      it('creates and installs a server in one call, with the discovered features', async () => {
        const { server, installation } = await store.installServer({
          definition: { id: 'fs', name: 'Files', transport: stdio('fs-mcp', { A: '1' }) },
          spaceId: 'work',
          installation: { alias: 'files', prefix: false },
          discovered: [tool('fs', 'read'), tool('fs', 'write')],
        });
        expect(server).toMatchObject({ id: 'fs', name: 'Files', defaultEnabled: false });
        expect(installation).toMatchObject({
          spaceId: 'work',
          serverId: 'fs',
          alias: 'files',
          prefix: false,
        });
        expect((await store.effectiveServers('work')).map((e) => [e.serverId, e.alias])).toEqual([
          ['fs', 'files'],
        ]);
        expect((await store.listFeatureSets('work')).map((s) => s.id)).toContain('server-all:fs');
        expect((await store.listDiscovered('work')).map((f) => f.name)).toEqual(['read', 'write']);
      });

      it('writes nothing from installServer when the installation or the features fail', async () => {
        await store.createServer({ id: 'github', transport: stdio() });
        await store.install('work', 'github', { alias: 'git' });
        const before = await visibleState(store);
        await expectError(
          () =>
            store.installServer({
              definition: { id: 'gitlab', transport: stdio() },
              spaceId: 'work',
              installation: { alias: 'git' },
            }),
          'CONFLICT',
          /Alias "git" is already used by server "github"/,
        );
        await expectError(
          () => store.installServer({ definition: { id: 'gitlab', transport: stdio() }, spaceId: 'nope' }),
          'NOT_FOUND',
          /Space "nope"/,
        );
        await expectError(
          () => store.installServer({ definition: { id: 'github', transport: stdio() }, spaceId: 'work' }),
          'CONFLICT',
          /Server "github" already exists/,
        );
        await expectError(
          () =>
            store.installServer({
              definition: { id: 'gitlab', transport: stdio() },
              spaceId: 'work',
              discovered: [tool('github', 'x')],
            }),
          'INVALID_INPUT',
          /^install\.discovered\.0\.server: must be "gitlab"/,
        );
        expect(await visibleState(store)).toEqual(before);
      });

      it('refuses overrides that do not fit the transport', async () => {
        await store.createServer({ id: 'gh', transport: { type: 'http', url: 'https://gh.example/mcp' } });
        await expectError(
          () => store.install('work', 'gh', { overrides: { env: { A: '1' } } }),
          'INVALID_INPUT',
          /overrides\.env/,
        );
      });

      it('refuses a taken alias, naming the other server and suggesting --alias, and changes nothing', async () => {
        await store.createServer({ id: 'github', transport: stdio() });
        await store.createServer({ id: 'gitlab', transport: stdio() });
        await store.install('work', 'github', { alias: 'git' });
        const before = await visibleState(store);
        const err = await expectError(
          () => store.install('work', 'gitlab', { alias: 'git' }),
          'CONFLICT',
          /Alias "git" is already used by server "github".*--alias/,
        );
        expect(err.data).toMatchObject({ serverId: 'github', alias: 'git' });
        expect(await visibleState(store)).toEqual(before);
        await store.install('work', 'gitlab', { alias: 'gl' });
      });

      it('truncates the default alias to 24 characters and detects clashes of truncated ids', async () => {
        const long = 'a-very-long-server-name-number-one';
        const long2 = 'a-very-long-server-name-number-two';
        await store.createServer({ id: long, transport: stdio() });
        await store.createServer({ id: long2, transport: stdio() });
        expect((await store.install('work', long)).alias).toBe(long.slice(0, 24));
        await expectError(() => store.install('work', long2), 'CONFLICT', /--alias/);
      });

      it('refuses installing twice and unknown servers', async () => {
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'fs');
        await expectError(() => store.install('work', 'fs'), 'CONFLICT', /already installed/);
        await expectError(
          () => store.install('work', 'nope'),
          'NOT_FOUND',
          /Server "nope".*mcpmux server list/,
        );
        await expectError(() => store.install('nope', 'fs'), 'NOT_FOUND', /Space "nope"/);
      });

      it('makes a default-enabled server available in every Space, present and future', async () => {
        await store.createServer({ id: 'search', transport: stdio(), defaultEnabled: true });
        await store.createSpace({ id: 'later' });
        for (const space of ['work', 'later']) {
          expect((await store.effectiveServers(space)).map((s) => [s.serverId, s.defaultEnabled])).toEqual([
            ['search', true],
          ]);
          expect((await store.getFeatureSet(space, 'server-all:search'))?.kind).toBe('server-all');
        }
        expect(await store.listInstallations('work')).toEqual([]);
      });

      it('disables a default-enabled server in one Space only and re-enables it', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'search', transport: stdio(), defaultEnabled: true });
        await store.setEnabled('work', 'search', false);
        expect(await store.effectiveServers('work')).toEqual([]);
        expect((await store.effectiveServers('home')).map((s) => s.serverId)).toEqual(['search']);
        expect(await store.listInstallations('work')).toMatchObject([{ serverId: 'search', enabled: false }]);
        await store.setEnabled('work', 'search', true);
        expect((await store.effectiveServers('work')).map((s) => s.serverId)).toEqual(['search']);
      });

      it('overrides a default-enabled server in one Space', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({
          id: 'search',
          transport: stdio('s', { K: '${secret:K}' }),
          defaultEnabled: true,
        });
        await store.install('work', 'search', { alias: 'find', overrides: { env: { REGION: 'eu' } } });
        const [w] = await store.effectiveServers('work');
        const [h] = await store.effectiveServers('home');
        expect(w).toMatchObject({ alias: 'find', transport: { env: { K: '${secret:K}', REGION: 'eu' } } });
        expect(h).toMatchObject({ alias: 'search', transport: { env: { K: '${secret:K}' } } });
        await store.uninstall('work', 'search');
        expect((await store.effectiveServers('work'))[0]).toMatchObject({ alias: 'search' });
      });

      it('updates an installation’s overrides: merges env, removes a key with null, replaces args, and changes the config hash', async () => {
        await store.createServer({
          id: 'fs',
          transport: { type: 'stdio', command: 'fs-mcp', args: ['/a'], env: { A: '1' } },
          timeoutSeconds: 30,
        });
        await store.install('work', 'fs', { overrides: { env: { B: '2', C: '3' }, timeoutSeconds: 5 } });
        const [before] = await store.effectiveServers('work');
        const updated = await store.updateInstallation('work', 'fs', {
          overrides: { env: { B: '${secret:B}', C: null, D: '${env:HOME}' }, args: ['/b'] },
        });
        expect(updated.overrides).toEqual({
          args: ['/b'],
          env: { B: '${secret:B}', D: '${env:HOME}' },
          timeoutSeconds: 5,
        });
        expect((await store.listInstallations('work'))[0]?.overrides).toEqual(updated.overrides);
        const [after] = await store.effectiveServers('work');
        expect(after).toMatchObject({
          timeoutSeconds: 5,
          transport: { args: ['/b'], env: { A: '1', B: '${secret:B}', D: '${env:HOME}' } },
        });
        expect(after?.definitionHash).not.toBe(before?.definitionHash);
        // null removes a whole override: the definition's args, env and timeout apply again.
        await store.updateInstallation('work', 'fs', {
          overrides: { env: null, args: null, timeoutSeconds: null },
        });
        expect((await store.listInstallations('work'))[0]?.overrides).toEqual({});
        const [reset] = await store.effectiveServers('work');
        expect(reset).toMatchObject({ timeoutSeconds: 30, transport: { args: ['/a'], env: { A: '1' } } });
      });

      it('refuses in updateInstallation what install refuses, naming the field, and changes nothing', async () => {
        await store.createServer({
          id: 'gh',
          transport: stdio('gh-mcp', { GITHUB_TOKEN: '${secret:GITHUB_TOKEN}' }),
          inputs: [{ name: 'GITHUB_TOKEN', secret: true }],
        });
        await store.createServer({ id: 'web', transport: { type: 'http', url: 'https://w.example/mcp' } });
        await store.install('work', 'gh');
        await store.install('work', 'web');
        const before = await visibleState(store);
        const revision = await store.revision();
        await expectError(
          () =>
            store.updateInstallation('work', 'gh', { overrides: { env: { GITHUB_TOKEN: 'ghp_literal' } } }),
          'INVALID_INPUT',
          /overrides\.env\.GITHUB_TOKEN: .*secret/,
        );
        await expectError(
          () => store.updateInstallation('work', 'gh', { overrides: { args: ['--token=${secret:T}'] } }),
          'INVALID_INPUT',
          /overrides\.args\.0: .*secrets never go in command-line arguments/,
        );
        await expectError(
          () => store.updateInstallation('work', 'gh', { overrides: { headers: { A: 'b' } } }),
          'INVALID_INPUT',
          /overrides\.headers: .*stdio/,
        );
        await expectError(
          () => store.updateInstallation('work', 'web', { overrides: { env: { A: 'b' } } }),
          'INVALID_INPUT',
          /overrides\.env: .*use header overrides/,
        );
        await expectError(
          () => store.updateInstallation('work', 'web', { overrides: { timeoutSeconds: 0 } }),
          'INVALID_INPUT',
          /timeoutSeconds/,
        );
        expect(await visibleState(store)).toEqual(before);
        expect(await store.revision()).toBe(revision);
        await store.updateInstallation('work', 'gh', {
          overrides: { env: { GITHUB_TOKEN: '${env:MY_TOKEN}' } },
        });
        await store.updateInstallation('work', 'web', {
          overrides: { headers: { Authorization: 'Bearer ${secret:TOKEN}' } },
        });
        expect((await store.effectiveServers('work')).map((e) => e.transport)).toMatchObject([
          { env: { GITHUB_TOKEN: '${env:MY_TOKEN}' } },
          { headers: { Authorization: 'Bearer ${secret:TOKEN}' } },
        ]);
      });

      it('overrides a default-enabled server in one Space with a local row, and refuses a server not in the Space', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'search', transport: stdio('s', { K: '1' }), defaultEnabled: true });
        await store.createServer({ id: 'fs', transport: stdio() });
        const inst = await store.updateInstallation('work', 'search', { overrides: { env: { K: '2' } } });
        expect(inst).toMatchObject({
          alias: 'search',
          prefix: true,
          enabled: true,
          overrides: { env: { K: '2' } },
        });
        expect(await store.listInstallations('work')).toEqual([inst]);
        expect((await store.effectiveServers('work'))[0]?.transport).toMatchObject({ env: { K: '2' } });
        expect((await store.effectiveServers('home'))[0]?.transport).toMatchObject({ env: { K: '1' } });
        await expectError(
          () => store.updateInstallation('work', 'fs', { overrides: { env: { A: '1' } } }),
          'NOT_FOUND',
        );
        await expectError(() => store.updateInstallation('nope', 'search', {}), 'NOT_FOUND');
        await expectError(() => store.updateInstallation('work', 'nope', {}), 'NOT_FOUND');
      });

      it('refuses to make a server default-enabled when its alias is taken in a Space', async () => {
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.createServer({ id: 'other', transport: stdio() });
        await store.install('work', 'other', { alias: 'fs' });
        await expectError(
          () => store.updateServer('fs', { defaultEnabled: true }),
          'CONFLICT',
          /"fs".*server "other" in Space "work"/,
        );
        expect((await store.getServer('fs'))?.defaultEnabled).toBe(false);
      });

      it('removes availability when a server stops being default-enabled', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'search', transport: stdio(), defaultEnabled: true });
        await store.install('home', 'search');
        await store.updateServer('search', { defaultEnabled: false });
        expect(await store.effectiveServers('work')).toEqual([]);
        expect(await store.getFeatureSet('work', 'server-all:search')).toBeUndefined();
        expect((await store.effectiveServers('home')).map((s) => s.serverId)).toEqual(['search']);
      });

      it('leaves a disabled server out of the effective list but keeps its set and grants', async () => {
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'fs');
        await store.createClient({ id: 'c' });
        await store.grant('c', 'work', 'server-all:fs');
        await store.setEnabled('work', 'fs', false);
        expect(await store.effectiveServers('work')).toEqual([]);
        expect(await store.listGrants('c', 'work')).toHaveLength(1);
        await expectError(() => store.setEnabled('work', 'nope', true), 'NOT_FOUND');
      });

      it('orders effective servers by installation time', async () => {
        await store.createServer({ id: 'b', transport: stdio() });
        await store.createServer({ id: 'a', transport: stdio() });
        await store.install('work', 'b');
        tick();
        await store.install('work', 'a');
        expect((await store.effectiveServers('work')).map((s) => s.serverId)).toEqual(['b', 'a']);
      });

      it('uninstalls with the server-all set, its grants and the cached features', async () => {
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'fs');
        await store.createClient({ id: 'c' });
        await store.grant('c', 'work', 'server-all:fs');
        await store.replaceDiscovered('work', 'fs', [tool('fs', 'read')]);
        await store.uninstall('work', 'fs');
        expect(await store.getFeatureSet('work', 'server-all:fs')).toBeUndefined();
        expect(await store.listGrants('c')).toEqual([]);
        expect(await store.listDiscovered('work')).toEqual([]);
        await expectError(() => store.uninstall('work', 'fs'), 'NOT_FOUND', /not installed in Space "work"/);
      });

      it('deletes a server definition with its installations and sets in every Space', async () => {
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'fs');
        await store.install('home', 'fs');
        await store.deleteServer('fs');
        expect(await store.getServer('fs')).toBeUndefined();
        for (const s of ['work', 'home']) {
          expect(await store.listInstallations(s)).toEqual([]);
          expect((await store.listFeatureSets(s)).map((x) => x.id)).toEqual(['all', 'default']);
        }
        await expectError(() => store.deleteServer('fs'), 'NOT_FOUND');
      });

      it('updates a definition', async () => {
        await store.createServer({ id: 'fs', transport: stdio() });
        const updated = await store.updateServer('fs', { name: 'Files', timeoutSeconds: 9 });
        expect(updated).toMatchObject({ name: 'Files', timeoutSeconds: 9 });
        await expectError(
          () => store.updateServer('fs', { timeoutSeconds: -1 }),
          'INVALID_INPUT',
          /timeoutSeconds/,
        );
      });
    });

    describe('FeatureSets', () => {
      beforeEach(async () => {
        await store.createSpace({ id: 'work' });
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'gh', transport: stdio() });
        await store.install('work', 'gh');
      });

      it('creates a custom set with members and lists it', async () => {
        const set = await store.createFeatureSet('work', {
          id: 'dev',
          name: 'Developer',
          members: [
            includeSet('server-all:gh'),
            { mode: 'exclude', selector: { type: 'feature', kind: 'tool', server: 'gh', name: 'delete_*' } },
          ],
        });
        expect(set).toMatchObject({ id: 'dev', name: 'Developer', kind: 'custom' });
        expect(set.members).toHaveLength(2);
        expect(await store.getFeatureSet('work', 'dev')).toEqual(set);
        expect(await store.getFeatureSet('home', 'dev')).toBeUndefined();
      });

      it('refuses a cycle, naming the path, and changes nothing', async () => {
        await store.createFeatureSet('work', { id: 'a' });
        await store.createFeatureSet('work', { id: 'b', members: [includeSet('a')] });
        await store.createFeatureSet('work', { id: 'c', members: [includeSet('b')] });
        const before = await visibleState(store);
        const err = await expectError(
          () => store.addMember('work', 'a', includeSet('c')),
          'CONFLICT',
          /cycle: a -> c -> b -> a/,
        );
        expect(err.data).toMatchObject({ path: ['a', 'c', 'b', 'a'] });
        await expectError(
          () => store.updateFeatureSet('work', 'a', { members: [includeSet('a')] }),
          'CONFLICT',
          /a -> a/,
        );
        expect(await visibleState(store)).toEqual(before);
      });

      it('refuses a member naming an unknown set or a set of another Space', async () => {
        await store.createFeatureSet('home', { id: 'private' });
        const before = await visibleState(store);
        await expectError(
          () => store.createFeatureSet('work', { id: 'x', members: [includeSet('ghost')] }),
          'NOT_FOUND',
          /members\.0\.selector\.id: FeatureSet "ghost" does not exist in Space "work"/,
        );
        const err = await expectError(
          () => store.createFeatureSet('work', { id: 'x', members: [includeSet('private')] }),
          'INVALID_INPUT',
          /Space "home"/,
        );
        expect(err.data).toEqual({ field: 'members.0.selector.id' });
        expect(await visibleState(store)).toEqual(before);
      });

      it('refuses a malformed member naming the field', async () => {
        await expectError(
          () =>
            store.createFeatureSet('work', {
              id: 'x',
              members: [{ mode: 'maybe', selector: { type: 'server', server: 'gh' } } as never],
            }),
          'INVALID_INPUT',
          /^featureset\.members\.0\.mode/,
        );
      });

      it('refuses editing all and server-all, and allows editing default', async () => {
        const before = await visibleState(store);
        await expectError(
          () => store.updateFeatureSet('work', 'all', { name: 'Everything' }),
          'FORBIDDEN',
          /"all" is built in/,
        );
        await expectError(() => store.addMember('work', 'server-all:gh', includeSet('default')), 'FORBIDDEN');
        await expectError(() => store.removeMember('work', 'all', includeSet('default')), 'FORBIDDEN');
        expect(await visibleState(store)).toEqual(before);
        const def = await store.addMember('work', 'default', {
          mode: 'include',
          selector: { type: 'annotation', readOnly: true },
        });
        expect(def.members).toEqual([{ mode: 'include', selector: { type: 'annotation', readOnly: true } }]);
      });

      it('refuses deleting built-in sets and sets other sets use', async () => {
        await expectError(() => store.deleteFeatureSet('work', 'all'), 'FORBIDDEN');
        await expectError(() => store.deleteFeatureSet('work', 'default'), 'FORBIDDEN');
        await expectError(() => store.deleteFeatureSet('work', 'server-all:gh'), 'FORBIDDEN');
        await store.createFeatureSet('work', { id: 'base' });
        await store.createFeatureSet('work', { id: 'dev', members: [includeSet('base')] });
        await expectError(() => store.deleteFeatureSet('work', 'base'), 'CONFLICT', /member of "dev"/);
        await expectError(() => store.deleteFeatureSet('work', 'nope'), 'NOT_FOUND');
      });

      it('adds members idempotently, removes them, and deletes a set with its grants', async () => {
        await store.createFeatureSet('work', { id: 'dev' });
        const m = { mode: 'include' as const, selector: { type: 'server' as const, server: 'gh' } };
        await store.addMember('work', 'dev', m);
        expect((await store.addMember('work', 'dev', m)).members).toHaveLength(1);
        expect((await store.removeMember('work', 'dev', m)).members).toEqual([]);
        await store.createClient({ id: 'c' });
        await store.grant('c', 'work', 'dev');
        await store.deleteFeatureSet('work', 'dev');
        expect(await store.listGrants('c')).toEqual([]);
      });

      it('refuses a duplicate or malformed set id', async () => {
        await expectError(() => store.createFeatureSet('work', { id: 'default' }), 'CONFLICT');
        await expectError(() => store.createFeatureSet('work', { id: 'server-all:x' }), 'INVALID_INPUT');
      });
    });

    describe('clients, access keys and grants', () => {
      beforeEach(async () => {
        await store.createSpace({ id: 'work' });
      });

      it('returns a high-entropy key once and authenticates with it', async () => {
        const { client, accessKey } = await store.createClient({ id: 'cursor', name: 'Cursor' });
        expect(client).toMatchObject({ id: 'cursor', name: 'Cursor', mode: 'follow-active' });
        expect(accessKey).toMatch(/^mcpmux_[A-Za-z0-9_-]{43}$/);
        expect((await store.authenticate(accessKey))?.id).toBe('cursor');
        const [info] = await store.listAccessKeys('cursor');
        expect(info).toMatchObject({ prefix: accessKey.slice(0, 12) });
        expect(info?.lastUsedAt).toBeInstanceOf(Date);
        expect(JSON.stringify(await store.listAccessKeys('cursor'))).not.toContain(accessKey.slice(12));
        const other = await store.createClient({ id: 'other' });
        expect(other.accessKey).not.toBe(accessKey);
      });

      it('rejects unknown, malformed, revoked and expired keys', async () => {
        const { accessKey } = await store.createClient({ id: 'cursor' });
        const altered = `${accessKey.slice(0, -1)}${accessKey.endsWith('A') ? 'B' : 'A'}`;
        expect(await store.authenticate(altered)).toBeUndefined();
        expect(await store.authenticate('nope')).toBeUndefined();
        const rotated = await store.rotateAccessKey('cursor');
        expect(await store.authenticate(accessKey)).toBeUndefined();
        expect((await store.authenticate(rotated))?.id).toBe('cursor');
        await store.revokeAccessKeys('cursor');
        expect(await store.authenticate(rotated)).toBeUndefined();
        const expiring = await store.rotateAccessKey('cursor', {
          expiresAt: new Date(clock.now().getTime() + 60_000),
        });
        expect((await store.authenticate(expiring))?.id).toBe('cursor');
        clock.advance(60_000);
        expect(await store.authenticate(expiring)).toBeUndefined();
        const keys = await store.listAccessKeys('cursor');
        expect(keys).toHaveLength(3);
        expect(keys.filter((k) => k.revokedAt !== undefined)).toHaveLength(2);
      });

      it('keeps lean mode and pinned tools, and changes them only when a patch names them', async () => {
        const { client } = await store.createClient({ id: 'cursor' });
        expect(client).toMatchObject({ lean: false, pinnedTools: [] });
        const lean = await store.updateClient('cursor', {
          lean: true,
          pinnedTools: ['gh_search', 'gh_search'],
        });
        expect(lean).toMatchObject({ lean: true, pinnedTools: ['gh_search'] });
        const renamed = await store.updateClient('cursor', { name: 'Cursor' });
        expect(renamed).toMatchObject({ lean: true, pinnedTools: ['gh_search'] });
        expect(await store.getClient('cursor')).toMatchObject({ lean: true, pinnedTools: ['gh_search'] });
        await expectError(
          () => store.updateClient('cursor', { pinnedTools: [''] }),
          'INVALID_INPUT',
          /pinnedTools/,
        );
        const created = await store.createClient({ id: 'claude', lean: true, pinnedTools: ['a_b'] });
        expect(created.client).toMatchObject({ lean: true, pinnedTools: ['a_b'] });
      });

      it('pins a client to a Space and switches it back to follow-active', async () => {
        const { client } = await store.createClient({ id: 'claude', pinnedSpaceId: 'work' });
        expect(client).toMatchObject({ mode: 'pinned', pinnedSpaceId: 'work' });
        const c = await store.updateClient('claude', { mode: 'follow-active' });
        expect(c.mode).toBe('follow-active');
        expect(c.pinnedSpaceId).toBeUndefined();
        await expectError(
          () => store.updateClient('claude', { mode: 'pinned' }),
          'INVALID_INPUT',
          /pinnedSpaceId/,
        );
        await expectError(
          () => store.createClient({ id: 'x', pinnedSpaceId: 'nope' }),
          'NOT_FOUND',
          /Space "nope"/,
        );
        await expectError(
          () => store.createClient({ id: 'x', mode: 'pinned' }),
          'INVALID_INPUT',
          /pinnedSpaceId/,
        );
        await expectError(() => store.createClient({ id: 'claude' }), 'CONFLICT');
      });

      it('grants, lists and ungrants sets, and refuses unknown ones', async () => {
        await store.createClient({ id: 'c' });
        await store.grant('c', 'work', 'all');
        await store.grant('c', 'work', 'all');
        expect(await store.listGrants('c', 'work')).toMatchObject([
          { clientId: 'c', spaceId: 'work', setId: 'all' },
        ]);
        await expectError(() => store.grant('c', 'work', 'ghost'), 'NOT_FOUND', /FeatureSet "ghost"/);
        await expectError(
          () => store.grant('nobody', 'work', 'all'),
          'NOT_FOUND',
          /Client "nobody".*client list/,
        );
        await store.ungrant('c', 'work', 'all');
        expect(await store.listGrants('c')).toEqual([]);
      });

      it('deletes a client with its keys and grants', async () => {
        const { accessKey } = await store.createClient({ id: 'c' });
        await store.grant('c', 'work', 'all');
        await store.deleteClient('c');
        expect(await store.getClient('c')).toBeUndefined();
        expect(await store.authenticate(accessKey)).toBeUndefined();
        await expectError(() => store.listGrants('c'), 'NOT_FOUND');
      });
    });

    describe('discovered-feature cache', () => {
      beforeEach(async () => {
        await store.createSpace({ id: 'work' });
        await store.createServer({ id: 'gh', transport: stdio() });
        await store.install('work', 'gh');
      });

      it('keeps identity across replacements and reports what changed', async () => {
        expect(
          await store.replaceDiscovered('work', 'gh', [
            tool('gh', 'a'),
            tool('gh', 'b'),
            { kind: 'resource', server: 'gh', name: 'file:///x', definitionHash: 'r' },
          ]),
        ).toEqual({ added: 3, removed: 0, changed: 0 });
        const first = await store.listDiscovered('work');
        tick();
        expect(await store.replaceDiscovered('work', 'gh', [tool('gh', 'a', 'h2'), tool('gh', 'c')])).toEqual(
          { added: 1, removed: 2, changed: 1 },
        );
        const second = await store.listDiscovered('work');
        const id = (list: typeof first, name: string) => list.find((f) => f.name === name)?.id;
        expect(id(second, 'a')).toBe(id(first, 'a'));
        expect(second.find((f) => f.name === 'b')?.available).toBe(false);
        expect((await store.listDiscovered('work', { availableOnly: true })).map((f) => f.name)).toEqual([
          'a',
          'c',
        ]);
        // Coming back keeps the old identity.
        expect(
          await store.replaceDiscovered('work', 'gh', [
            tool('gh', 'a', 'h2'),
            tool('gh', 'b'),
            tool('gh', 'c'),
          ]),
        ).toEqual({
          added: 1,
          removed: 0,
          changed: 0,
        });
        expect(id(await store.listDiscovered('work'), 'b')).toBe(id(first, 'b'));
      });

      it('marks a server unavailable and refuses features of another server', async () => {
        await store.replaceDiscovered('work', 'gh', [tool('gh', 'a')]);
        await store.markServerUnavailable('work', 'gh');
        expect(await store.listDiscovered('work', { availableOnly: true })).toEqual([]);
        await expectError(
          () => store.replaceDiscovered('work', 'gh', [tool('fs', 'a')]),
          'INVALID_INPUT',
          /features\.0\.server: must be "gh"/,
        );
        await store.createServer({ id: 'fs', transport: stdio() });
        await expectError(() => store.replaceDiscovered('work', 'fs', [tool('fs', 'a')]), 'NOT_FOUND');
      });

      it('stores descriptions, annotations and definitions', async () => {
        await store.replaceDiscovered('work', 'gh', [
          {
            ...tool('gh', 'a'),
            description: 'does a',
            annotations: { readOnlyHint: true },
            definition: { name: 'a', inputSchema: { type: 'object' } },
          },
        ]);
        expect(await store.listDiscovered('work', { serverId: 'gh' })).toMatchObject([
          {
            server: 'gh',
            spaceId: 'work',
            description: 'does a',
            annotations: { readOnlyHint: true },
            definition: { name: 'a', inputSchema: { type: 'object' } },
            available: true,
          },
        ]);
      });
    });

    describe('loadPolicyContext', () => {
      beforeEach(async () => {
        await store.createSpace({ id: 'work' });
        await store.createSpace({ id: 'home' });
        await store.createServer({ id: 'gh', transport: stdio() });
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'gh');
        tick();
        await store.install('work', 'fs');
        await store.install('home', 'fs');
        await store.replaceDiscovered('work', 'gh', [
          { ...tool('gh', 'issue'), annotations: { readOnlyHint: true } },
          tool('gh', 'gone'),
        ]);
        await store.replaceDiscovered('work', 'gh', [
          { ...tool('gh', 'issue'), annotations: { readOnlyHint: true } },
        ]);
        await store.replaceDiscovered('work', 'fs', [tool('fs', 'read')]);
        await store.replaceDiscovered('home', 'fs', [tool('fs', 'home-read')]);
        await store.createFeatureSet('work', { id: 'dev', members: [includeSet('server-all:gh')] });
        await store.createClient({ id: 'cursor' });
        await store.createClient({ id: 'claude', pinnedSpaceId: 'home' });
        await store.grant('cursor', 'work', 'dev');
      });

      it('loads the active Space for a follow-active client with servers, sets, grants and catalog', async () => {
        const ctx = await store.loadPolicyContext('cursor');
        expect(ctx?.space.id).toBe('work');
        expect(ctx?.client.id).toBe('cursor');
        expect(ctx?.servers.map((s) => s.serverId)).toEqual(['gh', 'fs']);
        expect(ctx?.featureSets.map((s) => s.id)).toEqual([
          'all',
          'default',
          'dev',
          'server-all:fs',
          'server-all:gh',
        ]);
        expect(ctx?.grants).toEqual(['dev']);
        expect(ctx?.catalog.map((f) => `${f.server}/${f.name}`).sort()).toEqual(['fs/read', 'gh/issue']);
        expect(ctx?.catalog.find((f) => f.name === 'issue')?.annotations).toEqual({ readOnlyHint: true });
      });

      it('loads the pinned Space for a pinned client, or the Space asked for', async () => {
        const pinned = await store.loadPolicyContext('claude');
        expect(pinned?.space.id).toBe('home');
        expect(pinned?.catalog.map((f) => f.name)).toEqual(['home-read']);
        const asked = await store.loadPolicyContext('claude', 'work');
        expect(asked?.space.id).toBe('work');
        expect(asked?.grants).toEqual([]);
        await expectError(() => store.loadPolicyContext('claude', 'nope'), 'NOT_FOUND');
        expect(await store.loadPolicyContext('nobody')).toBeUndefined();
      });

      it('follows writes: a Space switch, a disabled server, a new grant', async () => {
        expect((await store.loadPolicyContext('cursor'))?.space.id).toBe('work');
        await store.setEnabled('work', 'fs', false);
        const ctx = await store.loadPolicyContext('cursor');
        expect(ctx?.servers.map((s) => s.serverId)).toEqual(['gh']);
        expect(ctx?.catalog.map((f) => f.name)).toEqual(['issue']);
        await store.grant('cursor', 'work', 'all');
        expect((await store.loadPolicyContext('cursor'))?.grants).toEqual(['all', 'dev']);
        await store.setActiveSpace('home');
        expect((await store.loadPolicyContext('cursor'))?.space.id).toBe('home');
      });
      it('follows writes to the catalog and to sets after a cached load, and a re-created Space', async () => {
        const first = await store.loadPolicyContext('cursor');
        expect(first?.catalog).toHaveLength(2);
        await store.replaceDiscovered('work', 'fs', [tool('fs', 'read'), tool('fs', 'write')]);
        await store.addMember('work', 'dev', includeSet('server-all:fs'));
        const second = await store.loadPolicyContext('cursor');
        expect(second?.catalog.map((f) => f.name).sort()).toEqual(['issue', 'read', 'write']);
        expect(second?.featureSets.find((s) => s.id === 'dev')?.members).toHaveLength(2);
        await store.updateClient('claude', { mode: 'follow-active' });
        await store.loadPolicyContext('cursor', 'home');
        await store.deleteSpace('home');
        await store.createSpace({ id: 'home' });
        const fresh = await store.loadPolicyContext('cursor', 'home');
        expect(fresh?.catalog).toEqual([]);
        expect(fresh?.featureSets.map((s) => s.id)).toEqual(['all', 'default']);
      });
    });

    describe('audit', () => {
      it('appends events, lists them newest first with filters, and prunes', async () => {
        await store.appendAudit([
          {
            action: 'tools/call',
            clientId: 'a',
            spaceId: 'work',
            decision: 'allow',
            outcome: 'ok',
            durationMs: 3,
          },
          {
            action: 'tools/call',
            clientId: 'b',
            spaceId: 'work',
            decision: 'deny',
            feature: { kind: 'tool', server: 'gh', name: 'x' },
            detail: { args: '[redacted]' },
          },
        ]);
        clock.advance(60_000);
        await store.appendAudit([{ action: 'prompts/get', clientId: 'a' }]);
        const all = await store.listAudit();
        expect(all.map((e) => e.action)).toEqual(['prompts/get', 'tools/call', 'tools/call']);
        expect(all[1]).toMatchObject({
          decision: 'deny',
          feature: { server: 'gh', name: 'x' },
          detail: { args: '[redacted]' },
        });
        expect((await store.listAudit({ clientId: 'a' })).map((e) => e.action)).toEqual([
          'prompts/get',
          'tools/call',
        ]);
        expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
        expect(await store.pruneAudit({ before: new Date(clock.now().getTime() - 1000) })).toBe(2);
        await store.appendAudit([{ action: 'x' }, { action: 'y' }]);
        expect(await store.pruneAudit({ keep: 1 })).toBe(2);
        expect((await store.listAudit()).map((e) => e.action)).toEqual(['y']);
        await expectError(() => store.appendAudit([{ action: '' }]), 'INVALID_INPUT', /events\.0\.action/);
      });
    });

    describe('changes', () => {
      it('advances the revision on writes but not on audit events or failed writes', async () => {
        const r0 = await store.revision();
        await store.createSpace({ id: 'work' });
        const r1 = await store.revision();
        expect(r1).toBeGreaterThan(r0);
        await store.appendAudit([{ action: 'x' }]);
        await expectError(() => store.createSpace({ id: 'work' }), 'CONFLICT');
        expect(await store.revision()).toBe(r1);
      });

      it('tells watchers what changed, in which Space, and stops when asked', async () => {
        await store.createSpace({ id: 'work' });
        const seen: StoreChange[] = [];
        const stop = store.watch((c) => seen.push(c));
        store.watch(() => {
          throw new Error('a broken listener');
        });
        await store.createFeatureSet('work', { id: 'dev' });
        await store.createServer({ id: 'fs', transport: stdio() });
        await waitFor(() => told(seen).length >= 2);
        const [first, second] = told(seen);
        expect([...(first?.kinds ?? [])]).toEqual(['featureset']);
        expect(first?.spaceIds).toEqual(['work']);
        expect(second?.kinds.has('server')).toBe(true);
        expect(second?.spaceIds).toBeUndefined();
        expect(second?.revision).toBe(await store.revision());
        stop();
        const count = seen.length;
        await store.createSpace({ id: 'home' });
        expect(seen).toHaveLength(count);
      });

      it('tells watchers an installation’s overrides changed in its Space, and nothing when they did not', async () => {
        await store.createSpace({ id: 'work' });
        await store.createServer({ id: 'fs', transport: stdio() });
        await store.install('work', 'fs', { overrides: { env: { A: '1' } } });
        const seen: StoreChange[] = [];
        const stop = store.watch((c) => seen.push(c));
        const revision = await store.revision();
        await store.updateInstallation('work', 'fs', { overrides: { env: { A: '1' } } });
        await store.updateInstallation('work', 'fs', {});
        expect(await store.revision()).toBe(revision);
        await store.updateInstallation('work', 'fs', { overrides: { env: { A: '2' } } });
        await waitFor(() => told(seen).length >= 1);
        expect(told(seen)).toHaveLength(1);
        expect([...(told(seen)[0]?.kinds ?? [])]).toEqual(['installation']);
        expect(told(seen)[0]?.spaceIds).toEqual(['work']);
        expect(told(seen)[0]?.revision).toBeGreaterThan(revision);
        stop();
      });

      it('records credential changes for a Space or globally, and refuses an unknown Space', async () => {
        await store.createSpace({ id: 'work' });
        const seen: StoreChange[] = [];
        const stop = store.watch((c) => seen.push(c));
        await store.recordSecretChange('work');
        await store.recordSecretChange();
        await waitFor(() => told(seen).length >= 2);
        const [first, second] = told(seen);
        expect([...(first?.kinds ?? [])]).toEqual(['secret']);
        expect(first?.spaceIds).toEqual(['work']);
        expect([...(second?.kinds ?? [])]).toEqual(['secret']);
        expect(second?.spaceIds).toBeUndefined();
        await expectError(() => store.recordSecretChange('nope'), 'NOT_FOUND');
        stop();
      });
    });
  });
}

/**
 * The changes a watcher was told, less the "anything may have changed" event (every kind) a watcher
 * may get first: on PostgreSQL the LISTEN connection that `watch()` opens tells its watchers once
 * when it is up (commits may have been missed before), and that can land while the watcher reads its
 * cursor. That event is the store's documented, conservative answer, not a change under test.
 */
function told(seen: StoreChange[]): StoreChange[] {
  return seen.filter((c) => c.kinds.size < CHANGE_KINDS.length);
}

/** Polls `condition` every 10 ms for at most `timeoutMs`; throws when it never holds. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, packageFile, runCli } from './helpers/cli.js';
import { connectHttp, type McpSession } from './helpers/client.js';
import { startGateway, stopAllGateways } from './helpers/gateway.js';
import type { TempHome } from './helpers/home.js';
import { addNodeServer, initHome } from './helpers/setup.js';

// Role-based FeatureSets over two real servers, server-everything and server-filesystem, shaped like
// the role catalogue of @mcpmux/featuresets (Read Only; Developer = Read Only + code editing;
// DevOps = Developer + operations; Admin = all), built with the CLI verbs, each role granted to its
// own client pinned to the `team` Space, checked through tools/list (names and annotations) and
// tools/call (effects on disk).
const CODE_EDITING = ['filesystem_create_directory', 'filesystem_edit_file', 'filesystem_write_file'];
const OPERATIONS = [
  'everything_gzip-file-as-resource',
  'everything_toggle-simulated-logging',
  'everything_toggle-subscriber-updates',
];
const roles = {
  'read-only': { name: 'Read Only', members: [['include', 'readonly']] },
  developer: {
    name: 'Developer',
    members: [
      ['include', 'set:read-only'],
      ['include', 'tool:filesystem/write_file'],
      ['include', 'tool:filesystem/edit_file'],
      ['include', 'tool:filesystem/create_directory'],
    ],
  },
  devops: {
    name: 'DevOps',
    members: [
      ['include', 'set:developer'],
      ['include', 'tool:everything/toggle-*'],
      ['include', 'tool:everything/gzip-file-as-resource'],
    ],
  },
  admin: { name: 'Admin', members: [['include', 'set:all']] },
} as const;
type Role = keyof typeof roles;

const readOnly = (t: Tool) => t.annotations?.readOnlyHint === true;
const destructive = (t: Tool) => !readOnly(t) && (t.annotations?.destructiveHint ?? true);

describe('role-based sets on server-everything and server-filesystem', () => {
  let home: TempHome;
  let files: string;
  const sessions = {} as Record<Role, McpSession>;
  const tools = {} as Record<Role, Tool[]>;

  beforeAll(async () => {
    home = await initHome();
    files = join(home.scratch, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'readme.txt'), 'hello from the filesystem\n');
    await runCli(home, ['space', 'create', 'team']);
    await addNodeServer(home, 'team', 'everything', [
      packageFile('@modelcontextprotocol/server-everything/dist/index.js'),
      'stdio',
    ]);
    await addNodeServer(home, 'team', 'filesystem', [
      packageFile('@modelcontextprotocol/server-filesystem/dist/index.js'),
      files,
    ]);

    const keys = {} as Record<Role, string>;
    for (const [id, role] of Object.entries(roles) as [Role, (typeof roles)[Role]][]) {
      await runCli(home, ['featureset', 'create', id, '--name', role.name, '--space', 'team']);
      for (const [mode, selector] of role.members) {
        await runCli(home, ['featureset', mode, id, selector, '--space', 'team']);
      }
      keys[id] = await addClient(home, `${id}-client`, ['--pinned', 'team']);
      await runCli(home, ['client', 'grant', `${id}-client`, id, '--space', 'team']);
    }
    const gateway = await startGateway(home);
    for (const id of Object.keys(roles) as Role[]) {
      sessions[id] = await connectHttp(gateway.url, keys[id]);
      tools[id] = (await sessions[id].client.listTools()).tools;
    }
  });

  afterAll(async () => {
    for (const s of Object.values(sessions)) await s.close();
    await stopAllGateways();
    home?.remove();
  });

  const names = (role: Role) => tools[role].map((t) => t.name).sort();

  it('gives Read Only exactly the tools that declare readOnlyHint, from both servers', async () => {
    const declared = tools.admin
      .filter(readOnly)
      .map((t) => t.name)
      .sort();
    expect(names('read-only')).toEqual(declared);
    expect(declared).toEqual(expect.arrayContaining(['everything_echo', 'filesystem_read_text_file']));
    expect(await sessions['read-only'].callText('everything_echo', { message: 'hi' })).toContain('hi');
    expect(
      await sessions['read-only'].callText('filesystem_read_text_file', { path: join(files, 'readme.txt') }),
    ).toContain('hello from the filesystem');
    await expect(
      sessions['read-only'].callText('filesystem_write_file', { path: join(files, 'ro.txt'), content: 'x' }),
    ).rejects.toThrow();
    expect(existsSync(join(files, 'ro.txt'))).toBe(false);
  });

  it('gives Developer Read Only plus code editing, through a nested set', async () => {
    expect(names('developer')).toEqual([...names('read-only'), ...CODE_EDITING].sort());
    await sessions.developer.callText('filesystem_write_file', {
      path: join(files, 'dev.txt'),
      content: 'edited',
    });
    expect(readFileSync(join(files, 'dev.txt'), 'utf8')).toBe('edited');
    await expect(sessions.developer.callText('everything_toggle-subscriber-updates')).rejects.toThrow();
    await expect(
      sessions.developer.callText('filesystem_move_file', {
        source: join(files, 'dev.txt'),
        destination: join(files, 'moved.txt'),
      }),
    ).rejects.toThrow();
    expect(existsSync(join(files, 'dev.txt'))).toBe(true);
  });

  it('gives DevOps Developer plus operations, two levels of nesting deep', async () => {
    expect(names('devops')).toEqual([...names('developer'), ...OPERATIONS].sort());
    await sessions.devops.callText('filesystem_create_directory', { path: join(files, 'ops') });
    expect(existsSync(join(files, 'ops'))).toBe(true);
    expect(await sessions.devops.callText('everything_toggle-subscriber-updates')).not.toBe('');
    expect(names('devops')).not.toContain('filesystem_move_file');
  });

  it('gives Admin every tool of both servers, move included', async () => {
    expect(names('admin')).toEqual(expect.arrayContaining([...names('devops'), 'filesystem_move_file']));
    expect(tools.admin.some(destructive)).toBe(true);
    await sessions.admin.callText('filesystem_move_file', {
      source: join(files, 'dev.txt'),
      destination: join(files, 'moved.txt'),
    });
    expect(existsSync(join(files, 'moved.txt'))).toBe(true);
  });
});

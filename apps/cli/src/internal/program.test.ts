import { describe, expect, it } from 'vitest';
import { invokedCommand } from './invoked-command.js';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

const io = {} as CliIo; // building the tree writes nothing
const names = (only?: string) =>
  buildProgram(io, { code: 0 }, only)
    .commands.map((c) => c.name())
    .sort();

describe('invokedCommand', () => {
  it('is the first word after the root options, skipping their values', () => {
    expect(invokedCommand(['status'])).toBe('status');
    expect(invokedCommand(['--home', '/tmp/h', 'space', 'list'])).toBe('space');
    expect(invokedCommand(['--database', 'postgres://db/x', '--json', 'tools', '--client', 'a'])).toBe(
      'tools',
    );
    expect(invokedCommand(['--json', 'client', 'list'])).toBe('client');
  });

  it('is undefined when the whole tree is needed', () => {
    for (const argv of [
      [],
      ['--help'],
      ['-h'],
      ['help', 'status'],
      ['completion', 'bash'],
      ['--', 'status'],
    ]) {
      expect(invokedCommand(argv)).toBeUndefined();
    }
  });
});

describe('buildProgram with one command', () => {
  it('builds the root and that command alone, with the same subcommands as the whole tree', () => {
    const all = buildProgram(io, { code: 0 });
    expect(names('space')).toEqual(['space']);
    expect(names('tools')).toEqual(['explain', 'tools']); // built together
    const space = buildProgram(io, { code: 0 }, 'space').commands[0];
    const fullSpace = all.commands.find((c) => c.name() === 'space');
    expect(space?.commands.map((c) => c.name())).toEqual(fullSpace?.commands.map((c) => c.name()));
  });

  it('builds the whole tree for a name that is no command (so commander can suggest one)', () => {
    expect(names('sever')).toEqual(names());
    expect(names()).toContain('status');
    expect(names().length).toBeGreaterThan(20);
  });
});

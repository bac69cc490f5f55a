import { describe, expect, it } from 'vitest';
import { homePath, parseBridgeArgs } from './args.js';

describe('parseBridgeArgs', () => {
  it('recognises the command lines connect writes, with --home before or after the command', () => {
    expect(parseBridgeArgs(['stdio', '--client', 'cursor'])).toEqual({ client: 'cursor' });
    expect(parseBridgeArgs(['--home', '/h', 'stdio', '--client', 'cursor'])).toEqual({
      home: '/h',
      client: 'cursor',
    });
    expect(parseBridgeArgs(['stdio', '--client=cursor', '--home=rel'])).toEqual({
      home: 'rel',
      client: 'cursor',
    });
  });

  it('leaves everything else to the full CLI', () => {
    for (const argv of [
      [],
      ['stdio'],
      ['stdio', '--client'],
      ['stdio', '--client', 'a', '--standalone'],
      ['stdio', '--client', 'a', '--help'],
      ['stdio', '--client', 'a', '--client', 'b'],
      ['serve', '--client', 'a'],
      ['stdio', '--client', 'a', 'extra'],
      ['--home', '/h', '--home', '/g', 'stdio', '--client', 'a'],
    ]) {
      expect(parseBridgeArgs(argv), argv.join(' ')).toBeUndefined();
    }
  });
});

describe('homePath', () => {
  it('takes the flag, else MCPMUX_HOME, else ~/.mcpmux, resolving relative paths against cwd', () => {
    expect(homePath('rel', { MCPMUX_HOME: '/env' }, '/cwd')).toBe('/cwd/rel');
    expect(homePath(undefined, { MCPMUX_HOME: '/env' }, '/cwd')).toBe('/env');
    expect(homePath(undefined, { MCPMUX_HOME: '', HOME: '/u' }, '/cwd')).toBe('/u/.mcpmux');
  });
});

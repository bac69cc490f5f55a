import { isMcpmuxError } from '@mcpmux/core';
import { describe, expect, it } from 'vitest';
import { namesPublicHost, parsePublicUrl } from './public-url.js';

describe('parsePublicUrl', () => {
  it('keeps the origin and the lower-cased host name', () => {
    expect(parsePublicUrl('https://MCP.Example.com/')).toEqual({
      origin: 'https://mcp.example.com',
      hostname: 'mcp.example.com',
      loopback: false,
    });
    expect(parsePublicUrl('http://127.0.0.1:8080')).toMatchObject({
      origin: 'http://127.0.0.1:8080',
      loopback: true,
    });
    expect(parsePublicUrl('https://[::1]:8443').hostname).toBe('[::1]');
  });

  it('refuses what is not an http(s) origin, saying what to pass', () => {
    for (const bad of [
      'mcp.example.com',
      'ftp://mcp.example.com',
      'https://mcp.example.com/mcp',
      'https://mcp.example.com/?a=1',
      'https://user:pw@mcp.example.com',
    ]) {
      let thrown: unknown;
      try {
        parsePublicUrl(bad);
      } catch (err) {
        thrown = err;
      }
      expect(isMcpmuxError(thrown, 'INVALID_INPUT')).toBe(true);
      expect((thrown as Error).message).toContain('--public-url https://');
      expect((thrown as Error).message).not.toContain('pw');
    }
  });
});

describe('namesPublicHost', () => {
  const url = parsePublicUrl('https://mcp.example.com');

  it('matches the host name with or without a port, in any case', () => {
    expect(namesPublicHost(url, 'mcp.example.com')).toBe(true);
    expect(namesPublicHost(url, 'MCP.example.com:443')).toBe(true);
    expect(namesPublicHost(url, 'evil.example.com')).toBe(false);
    expect(namesPublicHost(url, 'mcp.example.com.evil.test')).toBe(false);
    expect(namesPublicHost(url, undefined)).toBe(false);
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, defaultLogger, parseLogLevel } from './logger.js';

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString('utf8');
      cb();
    },
  });
  return { stream, text: () => out };
}

describe('createLogger', () => {
  const key = `mcpmux_${'k'.repeat(43)}`;

  it('writes JSON lines with level, time and message', () => {
    const s = sink();
    createLogger({ destination: s.stream }).info({ port: 1 }, 'listening');
    const line = JSON.parse(s.text().trim());
    expect(line).toMatchObject({ level: 30, msg: 'listening', port: 1 });
    expect(typeof line.time).toBe('number');
  });

  it('censors credential fields, bearer tokens, access keys and given secret values', () => {
    const s = sink();
    const logger = createLogger({ destination: s.stream, secretValues: ['hunter2-very-secret'] });
    logger.info({ authorization: `Bearer ${key}`, req: { headers: { authorization: 'x' } } }, 'auth');
    logger.info({ server: { env: { TOKEN: 'ghp_abc' }, headers: { 'x-api-key': 'zzz' } } }, 'server');
    logger.warn({}, `key ${key} used; header Bearer abc.def; value hunter2-very-secret`);
    logger.error({ err: new Error(`failed with ${key}`) }, 'boom');
    const text = s.text();
    for (const secret of [key, 'ghp_abc', 'zzz', 'abc.def', 'hunter2-very-secret'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
  });

  it('censors every redacted path, in child bindings too, and leaves the logged objects untouched', () => {
    const s = sink();
    const logger = createLogger({ destination: s.stream });
    const entry = {
      key: 'k1',
      upstream: { token: 't1', key: 'kept', list: [{ token: 'in-array' }] },
      req: { url: '/mcp', headers: { cookie: 'c1' } },
      count: 3,
    };
    logger.info(entry, 'entry');
    logger.child({ token: 't2', scope: { password: 'p1' } }).info({ ok: true }, 'child');
    const [first, second] = s
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      key: '[REDACTED]',
      upstream: { token: '[REDACTED]', key: 'kept', list: [{ token: 'in-array' }] },
      req: { url: '/mcp', headers: '[REDACTED]' },
      count: 3,
    });
    expect(second).toMatchObject({ token: '[REDACTED]', scope: { password: '[REDACTED]' }, ok: true });
    expect(entry.key).toBe('k1');
    expect(entry.upstream.token).toBe('t1');
    expect(entry.req.headers.cookie).toBe('c1');
  });

  it('leaves the variable name MCPMUX_MASTER_KEY readable while censoring keys', () => {
    const s = sink();
    createLogger({ destination: s.stream }).warn({}, `set MCPMUX_MASTER_KEY, not ${key}`);
    const text = s.text();
    expect(text).toContain('set MCPMUX_MASTER_KEY, not mcpmux_[REDACTED]');
    expect(text).not.toContain(key);
  });

  it('writes one readable line per entry when pretty', async () => {
    const s = sink();
    const logger = createLogger({ destination: s.stream, pretty: true });
    logger.info({ url: 'http://127.0.0.1:1/mcp' }, 'listening');
    logger.warn({ token: 'abc' }, 'careful');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = s.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d INFO {2}listening url=http:\/\/127\.0\.0\.1:1\/mcp$/);
    expect(lines[1]).toContain('WARN');
    expect(lines[1]).not.toContain('abc');
  });

  it('writes nothing below the level', () => {
    const s = sink();
    createLogger({ destination: s.stream, level: 'warn' }).info({}, 'hidden');
    expect(s.text()).toBe('');
  });

  it('takes the default level from MCPMUX_LOG_LEVEL and ignores unknown levels', () => {
    expect(defaultLogger({ MCPMUX_LOG_LEVEL: 'WARN' }, false).level).toBe('warn');
    expect(defaultLogger({ MCPMUX_LOG_LEVEL: 'loud' }, false).level).toBe('info');
    expect(defaultLogger({}, true).level).toBe('info');
  });

  it('lets the --log-level choice win over MCPMUX_LOG_LEVEL', () => {
    expect(defaultLogger({ MCPMUX_LOG_LEVEL: 'debug' }, false, { level: 'warn' }).level).toBe('warn');
    expect(parseLogLevel('Trace')).toBe('trace');
    expect(parseLogLevel('loud')).toBeUndefined();
  });

  it('writes parseable JSON lines with --log-format json even on a terminal', () => {
    const s = sink();
    defaultLogger({}, true, { format: 'json', destination: s.stream }).info({ client: 'a' }, 'call');
    expect(JSON.parse(s.text().trim())).toMatchObject({ level: 30, msg: 'call', client: 'a' });
  });

  it('writes pretty lines with --log-format pretty when not on a terminal', async () => {
    const s = sink();
    defaultLogger({}, false, { format: 'pretty', destination: s.stream }).info({ client: 'a' }, 'call');
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.text()).toMatch(/^\d\d:\d\d:\d\d INFO {2}call client=a\n$/);
  });
});

import { describe, expect, it } from 'vitest';
import { DOCUMENTED_PORTS, documentedNginxBlock, fillNginxBlock } from './nginx.js';

describe("docs/team.md's nginx configuration", () => {
  const block = documentedNginxBlock();

  it('routes on the session id prefix of each documented replica', () => {
    for (const id of ['r1', 'r2', 'r3']) {
      expect(block).toMatch(new RegExp(`~\\^${id}\\\\\\.\\s+mcpmux_${id};`));
      expect(block).toContain(`upstream mcpmux_${id} {`);
    }
    expect(block).toContain('default  mcpmux_any;');
    expect(block).toContain('proxy_pass http://$mcpmux_upstream;');
  });

  it('fills in the replica ports and a plain loopback listener, leaving no documented port behind', () => {
    const filled = fillNginxBlock(block, [41001, 41002, 41003], 41000);
    for (const port of DOCUMENTED_PORTS) expect(filled).not.toContain(String(port));
    expect(filled).toContain('listen 127.0.0.1:41000;');
    expect(filled).not.toContain('ssl_certificate');
    expect(filled.match(/127\.0\.0\.1:41001/g)?.length).toBe(block.match(/127\.0\.0\.1:45818/g)?.length);
  });

  it('refuses a configuration it cannot fill, so the doc and the test cannot drift apart', () => {
    expect(() => fillNginxBlock(block.replace('listen 443 ssl;', 'listen 8443;'), [1, 2, 3], 4)).toThrow(
      /listen 443 ssl/,
    );
    expect(() => documentedNginxBlock('# no block here')).toThrow(/test: team-nginx/);
  });
});

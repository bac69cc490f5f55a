import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_INDEX_FILE, consoleAssetsDir } from '@mcpmux/console';
import { describe, expect, it } from 'vitest';

/** The budget of issue #16: JavaScript the first page load fetches, gzip-compressed. */
const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;

describe('console build', () => {
  const html = readFileSync(join(consoleAssetsDir, CONSOLE_INDEX_FILE), 'utf8');
  const scripts = [...html.matchAll(/<script[^>]*\bsrc="\/([^"]+)"/g)].map((m) => m[1]!);

  it('loads at most 150 KiB of compressed JavaScript on first load', () => {
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce(
      (n, file) => n + gzipSync(readFileSync(join(consoleAssetsDir, file))).length,
      0,
    );
    console.log(`console first load: ${(gzipped / 1024).toFixed(1)} KiB of gzipped JavaScript`);
    expect(gzipped).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
  });

  it('references only local, content-hashed files (no CDN, no external fonts)', () => {
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const referenced = [...html.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((m) => m[1]!);
    expect(referenced.length).toBe(2);
    const files = new Set(readdirSync(consoleAssetsDir));
    for (const file of referenced) {
      expect(files.has(file), file).toBe(true);
      expect(file).toMatch(/^app-[A-Z0-9]{8,}\.(js|css)$/);
    }
    const css = readFileSync(join(consoleAssetsDir, referenced.find((f) => f.endsWith('.css'))!), 'utf8');
    expect(css).not.toMatch(/@import|url\((['"])?(https?:)?\/\//);
  });
});

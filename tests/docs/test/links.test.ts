// Every relative link in README.md and the guides points at a file that exists, and every
// `#anchor` at a heading of that file (GitHub's slugs: lower case, punctuation dropped, spaces to -).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './blocks.js';

const GUIDES = [
  'README.md',
  'docs/README.md',
  'docs/spaces.md',
  'docs/featuresets.md',
  'docs/clients.md',
  'docs/vault.md',
  'docs/embedding-featuresets.md',
  'docs/troubleshooting.md',
];

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (code blocks skipped). */
function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

/** Relative links `[text](target)` outside code blocks. */
function links(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z]+:/.test(target));
}

it('resolves every relative link and anchor of the guides', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of GUIDES) {
    for (const target of links(file)) {
      checked++;
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), path);
      if (!existsSync(resolved)) {
        broken.push(`${file}: ${target} (no ${relative(ROOT, resolved)})`);
        continue;
      }
      if (anchor !== undefined && (statSync(resolved).isDirectory() || !anchors(resolved).has(anchor))) {
        broken.push(`${file}: ${target} (no heading #${anchor})`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(30);
});

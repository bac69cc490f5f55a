import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const examples = join(root, 'examples');

const load = (file: string): Promise<Record<string, unknown>> => import(join(examples, file));

describe('README examples', () => {
  it('roles.ts: Developer plus No Delete, explained', async () => {
    const { allowed, mayDeploy, why } = await load('roles.ts');
    expect(allowed).toEqual([
      'tool:filesystem/read_text_file',
      'tool:filesystem/write_file',
      'tool:github/create_pull_request',
      'tool:github/get_issue',
    ]);
    expect(mayDeploy).toBe(false);
    expect(why).toEqual({
      allowed: false,
      inCatalog: true,
      includedBy: [['developer']],
      excludedBy: [['no-delete']],
    });
  });

  it('selectors.ts: parses and prints selectors and refuses a cycle', async () => {
    const { selector, text, refusal } = await load('selectors.ts');
    expect(selector).toEqual({ type: 'feature', kind: 'tool', server: '*', name: '*delete*' });
    expect(text).toBe('readonly');
    expect(refusal).toBe('FeatureSets form a cycle: a -> b -> a. Remove one of these set members.');
  });

  it('gateway.ts: diffs two resolutions when the fingerprint changes', async () => {
    const { changed, added, removed } = await load('gateway.ts');
    expect(changed).toBe(true);
    expect(added).toEqual([
      { kind: 'tool', server: 'github', name: 'list_issues', annotations: { readOnlyHint: true } },
    ]);
    expect(removed).toEqual([]);
  });

  it('light.ts: resolves through the zod-free entry', async () => {
    const { tools } = await load('light.ts');
    expect(tools).toEqual(['tool:github/get_issue']);
  });

  it('shows every example file verbatim in a ```ts block of README.md, and no other ts block', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/<!-- example: (examples\/[\w.-]+\.ts) -->\n```ts\n([\s\S]*?)```/g)];
    const files = readdirSync(examples).filter((f) => f.endsWith('.ts'));
    expect(blocks.map((b) => b[1]).sort()).toEqual(files.map((f) => `examples/${f}`).sort());
    for (const [, file, code] of blocks) expect(code).toBe(readFileSync(join(root, file!), 'utf8'));
    expect(readme.match(/```ts\n/g)?.length).toBe(blocks.length);
  });
});

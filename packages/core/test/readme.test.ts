import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

it('runs the README snippets against the source, printing what the comments say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  expect(blocks.length).toBe(2);
  const printed: unknown[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((value: unknown) => printed.push(value));
  try {
    for (const [i, block] of blocks.entries()) {
      const file = fileURLToPath(new URL(`./readme-snippet-${process.pid}-${i}.tmp.ts`, import.meta.url));
      const source = block
        .replaceAll("'@mcpmux/core/schemas'", "'../src/schemas.js'")
        .replaceAll("'@mcpmux/core'", "'../src/index.js'");
      writeFileSync(file, `${source}\nexport {};\n`);
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    spy.mockRestore();
  }
  expect(printed).toEqual([
    'space id: use lowercase letters, digits and "-" (start with a letter or digit)',
    { field: 'space id' },
  ]);
});

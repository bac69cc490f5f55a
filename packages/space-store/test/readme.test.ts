import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('runs the README usage snippet against the source', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(0);
  for (const [i, block] of blocks.entries()) {
    const file = fileURLToPath(new URL(`./readme-snippet-${process.pid}-${i}.tmp.ts`, import.meta.url));
    writeFileSync(
      file,
      `${block.replaceAll("'@mcpmux/space-store/sqlite'", "'../src/sqlite.js'")}\nexport {};\n`,
    );
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      rmSync(file, { force: true });
    }
  }
});

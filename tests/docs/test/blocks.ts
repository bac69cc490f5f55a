// Finds the code blocks of a Markdown file that are marked for testing:
//
//   <!-- test: NAME -->
//   ```sh
//   ...
//   ```
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** One marked code block. */
export interface MarkedBlock {
  /** The name in the marker. */
  name: string;
  /** The fence's language (`sh`, `ts`). */
  lang: string;
  /** The block's text, without the fences. */
  code: string;
  /** The file, relative to the repository root. */
  file: string;
}

const MARKED = /<!--\s*test:\s*([\w-]+)\s*-->\s*\n```(\w+)\n([\s\S]*?)\n```/g;

/** Every marked block of `file` (relative to the repository root), in document order. */
export function markedBlocks(file: string): MarkedBlock[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(MARKED)].map((m) => ({
    name: m[1] ?? '',
    lang: m[2] ?? '',
    code: m[3] ?? '',
    file,
  }));
}

/** The one marked block called `name` in `file`; throws when it is missing or not unique. */
export function markedBlock(file: string, name: string): MarkedBlock {
  const found = markedBlocks(file).filter((b) => b.name === name);
  if (found.length !== 1)
    throw new Error(`${file}: expected one block marked "test: ${name}", found ${found.length}`);
  return found[0] as MarkedBlock;
}

/** The Markdown files whose marked blocks the tests run. */
export const DOCUMENTED_FILES = [
  'README.md',
  'docs/spaces.md',
  'docs/featuresets.md',
  'docs/clients.md',
  'docs/vault.md',
  'docs/troubleshooting.md',
  'docs/embedding-featuresets.md',
];

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// Inside the package, so `mcpmux` resolves to the built package by self-reference.
const scratch = join(root, 'test', `.readme-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('has TypeScript snippets that compile against the built package', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  expect(snippets.length).toBeGreaterThanOrEqual(1);
  mkdirSync(scratch, { recursive: true });
  const files = snippets.map((code, i) => {
    const file = join(scratch, `snippet-${i}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, '..', '..', 'node_modules', '@types')],
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  expect(problems).toEqual([]);
}, 120_000);

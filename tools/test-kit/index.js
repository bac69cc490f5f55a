import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';

const repoRoot = join(import.meta.dirname, '..', '..');

/** @type {import('./index.d.ts').compileReadmeSnippets} */
export function compileReadmeSnippets(packageRoot) {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const scratch = mkdtempSync(join(packageRoot, '.readme-'));
  try {
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
      typeRoots: [join(repoRoot, 'node_modules', '@types')],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) => `${basename(d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    return { snippets: snippets.length, problems };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

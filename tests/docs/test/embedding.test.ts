// The TypeScript example of docs/embedding-featuresets.md type-checks against the built
// @mcpmux/featuresets (with the repository's strict compiler options), runs, and prints exactly what
// its comments say.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';
import { markedBlock, ROOT } from './blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpmux-docs-ts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Resolve '@mcpmux/featuresets' the way an installed project would: through node_modules.
symlinkSync(join(ROOT, 'tests', 'docs', 'node_modules'), join(dir, 'node_modules'), 'dir');

/** What the example's comments promise each console.log prints, whitespace removed. */
function promisedOutput(code: string): string[] {
  const lines = code.split('\n');
  const promised: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('console.log(')) continue;
    const inline = /\);\s*\/\/\s*(.*)$/.exec(line);
    let text = inline?.[1] ?? '';
    if (!inline) {
      while ((lines[i + 1] ?? '').startsWith('//')) text += (lines[++i] ?? '').slice(2);
    }
    promised.push(text.replace(/\s+/g, ''));
  }
  return promised;
}

it('type-checks, runs and prints what the embedding example says', () => {
  const { code } = markedBlock('docs/embedding-featuresets.md', 'embedding-example');
  const source = join(dir, 'example.mts');
  writeFileSync(source, code);

  const base = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!base) throw new Error('tsconfig.base.json did not parse');
  const program = ts.createProgram([source], { ...base.options, noEmit: true, declaration: false });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(problems).toEqual([]);

  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(join(dir, 'example.mjs'), js.outputText);
  const run = spawnSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);

  const promised = promisedOutput(code);
  expect(promised).toHaveLength(4);
  expect(run.stdout.replace(/\s+/g, '')).toBe(promised.join(''));
});

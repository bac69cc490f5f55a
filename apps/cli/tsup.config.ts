import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Bundled, not imported at run time: commander is nine CommonJS files, which Node resolves, reads
  // and lexes one by one for an ES import (~25 ms of every command); bundled, it is one parse.
  noExternal: ['commander', 'picocolors'],
  // What the bundled CommonJS code `require`s (node:events, node:child_process, ...).
  banner: {
    js: "import { createRequire as __mcpmuxCreateRequire } from 'node:module';\nconst require = __mcpmuxCreateRequire(import.meta.url);",
  },
});

import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * commander `require`s node:child_process at load for its executable subcommands, which mcpmux does
 * not use; loading it (with net and dgram) costs every command ~3 ms. Its bundled copy gets a proxy
 * that loads the module on first use instead.
 */
const lazyChildProcessForCommander: Plugin = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/')
        ? { path: 'child_process', namespace: 'lazy-child-process' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

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
  esbuildPlugins: [lazyChildProcessForCommander],
  // Keep `node:` specifiers as written, so that the plugin above sees commander's `node:child_process`
  // (tsup's own protocol-stripping plugin would claim it first).
  removeNodeProtocol: false,
  // What the bundled CommonJS code `require`s (node:events, node:child_process, ...).
  banner: {
    js: "import { createRequire as __mcpmuxCreateRequire } from 'node:module';\nconst require = __mcpmuxCreateRequire(import.meta.url);",
  },
});

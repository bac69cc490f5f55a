import { createRequire } from 'node:module';
import { defineConfig } from 'tsup';

const require = createRequire(import.meta.url);

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      sqlite: 'src/sqlite.ts',
      memory: 'src/memory.ts',
      postgres: 'src/postgres.ts',
    },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: false, // the build script empties dist first: the two builds here run at once
    target: 'node20',
  },
  {
    // better-sqlite3's JavaScript in one CommonJS file beside the store (`src/sqlite.ts` loads it):
    // requiring the package's 14 small files costs every command that opens a home ~8 ms more. The
    // native addon stays the package's own (its path is passed to the constructor).
    entry: { 'vendor/better-sqlite3': require.resolve('better-sqlite3/lib/index.js') },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    platform: 'node',
    target: 'node20',
    noExternal: ['better-sqlite3', 'bindings', 'file-uri-to-path'],
    dts: false,
    sourcemap: false,
    clean: false,
  },
]);

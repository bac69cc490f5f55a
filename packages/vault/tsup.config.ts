import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', sqlite: 'src/sqlite.ts', schemas: 'src/schemas.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Native modules stay external; the keychain module is optional and loaded lazily.
  external: ['better-sqlite3', '@napi-rs/keyring'],
});

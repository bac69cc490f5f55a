import { defineConfig } from 'tsup';

// The Node entry only (`consoleAssetsDir`); the browser app is bundled by build-app.mjs into dist/assets.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});

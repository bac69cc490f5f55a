import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', naming: 'src/naming.ts', prespawn: 'src/prespawn.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});

import { createRequire } from 'node:module';

let loaded: typeof import('node:crypto') | undefined;

/**
 * `node:crypto`, loaded on first use: loading it costs about 5 ms (some twenty internal modules), and
 * reading the store (what `mcpmux space list` or `tools` do) never hashes or draws random bytes.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  loaded ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return loaded;
}

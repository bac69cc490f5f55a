import { fileURLToPath } from 'node:url';

/**
 * The folder of the built console: `index.html` plus hashed `.js` and `.css` files, everything the
 * single-page app needs (no CDN, no external fonts). The gateway serves it at `/`.
 *
 * @example
 * ```ts
 * import { consoleAssetsDir } from '@mcpmux/console';
 * const html = await readFile(join(consoleAssetsDir, 'index.html'), 'utf8');
 * ```
 */
export const consoleAssetsDir: string = fileURLToPath(new URL('./assets/', import.meta.url));

/** The console's entry document inside {@link consoleAssetsDir}. */
export const CONSOLE_INDEX_FILE = 'index.html';

// The migrations this package ships (drizzle-kit's folder layout: `meta/_journal.json` and one
// `<tag>.sql` per entry, statements split by `--> statement-breakpoint`), read the way drizzle's
// `readMigrationFiles` reads them, hashes included. Not imported from `drizzle-orm/migrator`: resolving
// anything in drizzle-orm parses its 180 kB package.json (~20 ms of every CLI command that opens the
// store); a test holds the two equal.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from './node-crypto.js';

/** One migration: its statements, when drizzle-kit generated it (its order) and the SHA-256 of its file. */
export interface MigrationFile {
  sql: string[];
  folderMillis: number;
  hash: string;
}

/** The migrations of `folder`, oldest first. @throws when the journal or a listed file is missing. */
export function readMigrationFiles(folder: string): MigrationFile[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map((entry) => {
    const query = readFileSync(join(folder, `${entry.tag}.sql`), 'utf8');
    return {
      sql: query.split('--> statement-breakpoint'),
      folderMillis: entry.when,
      hash: nodeCrypto().createHash('sha256').update(query).digest('hex'),
    };
  });
}

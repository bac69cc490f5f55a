import { fileURLToPath } from 'node:url';
import { readMigrationFiles as drizzleRead } from 'drizzle-orm/migrator';
import { describe, expect, it } from 'vitest';
import { readMigrationFiles } from './migration-files.js';

describe('readMigrationFiles', () => {
  it.each(['drizzle', 'drizzle-pg'])(
    'reads %s exactly as drizzle-orm/migrator does, hashes included',
    (folder) => {
      const path = fileURLToPath(new URL(`../../${folder}`, import.meta.url));
      const ours = readMigrationFiles(path);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(
        drizzleRead({ migrationsFolder: path }).map(({ sql, folderMillis, hash }) => ({
          sql,
          folderMillis,
          hash,
        })),
      );
    },
  );
});

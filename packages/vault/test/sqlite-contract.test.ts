import { join } from 'node:path';
import { openSqliteDatabase } from '@mcpmux/space-store/sqlite';
import { describeVaultContract } from './contract.js';
import { tempDir } from './helpers.js';

// The vault on the SQLite driver the space store shares with it (`store.sql`), on a real file.
describeVaultContract('SQLite file', {
  create: async () => {
    const path = join(tempDir(), 'mcpmux.db');
    return {
      open: async () => openSqliteDatabase({ path }),
      openAttacker: async () => {
        const attacker = openSqliteDatabase({ path });
        attacker.database.pragma('synchronous = OFF'); // 2,000 tampering writes without an fsync each
        return attacker;
      },
    };
  },
});

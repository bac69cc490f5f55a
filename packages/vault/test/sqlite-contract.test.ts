import { join } from 'node:path';
import { openSqliteDatabase } from '@mcpmux/space-store/sqlite';
import { describeVaultContract, describeVaultReplicaContract } from './contract.js';
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

// Several connections to one file in ONE process stand in for processes: busy_timeout 0, because
// SQLite's busy handler would block the event loop while the other connection (same loop) holds
// the lock; the driver retries asynchronously instead.
describeVaultReplicaContract('SQLite file, two connections', {
  create: async () => {
    const path = join(tempDir(), 'mcpmux.db');
    return { open: async () => openSqliteDatabase({ path }, { busyTimeoutMs: 0 }) };
  },
});

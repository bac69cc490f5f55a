import { openPostgresDatabase } from '@mcpmux/space-store/postgres';
import { usePostgres } from '@mcpmux/test-postgres';
import { describeVaultContract, describeVaultReplicaContract } from './contract.js';

// The vault on PostgreSQL through the space store's driver, a fresh database per test on the
// project's throwaway server (tests/postgres).
const postgres = usePostgres();

const backend = {
  skip: postgres.skip,
  // The bit flips test AES-GCM, which is the same on every backend; on PostgreSQL a few hundred
  // show that bytea round-trips every byte.
  flips: 200,
  propertyRuns: 50,
  create: async () => {
    const url = await postgres.createDatabase('vault');
    return { open: async () => openPostgresDatabase({ url }) };
  },
};

describeVaultContract('PostgreSQL', backend);
describeVaultReplicaContract('PostgreSQL, two replicas', backend);

import { StoreEngine } from './internal/engine.js';
import type { StoreEngineOptions } from './internal/engine-core.js';
import { MemoryRepo } from './internal/memory-repo.js';

/** Options of {@link openMemorySpaceStore}: `clock`, `random` and `policyCache`, as for the SQLite store. */
export type MemorySpaceStoreOptions = StoreEngineOptions;

/**
 * A `SpaceStore` held in plain maps: every rule of the SQLite store (it runs the same engine), no
 * file, no native code, nothing shared with another process. Open it with {@link openMemorySpaceStore}.
 *
 * Reads and writes run one at a time; a write that throws leaves nothing behind; every object it
 * returns is a fresh copy. `watch` hears this store's own writes (there is no other writer).
 * Deletion hooks (`addSpaceDeletionHook`) get `undefined` for the SQL connection.
 */
export class MemorySpaceStore extends StoreEngine {
  /** @internal Use `openMemorySpaceStore`. */
  constructor(options: MemorySpaceStoreOptions = {}) {
    super(new MemoryRepo(), options);
  }
}

/**
 * Opens an empty in-memory `SpaceStore`, for tests, demos and embedding a gateway without a
 * database. Everything is lost on `close()` or when the process exits.
 *
 * @param options - `clock` (default `() => new Date()`), `random` (default `crypto.randomBytes`),
 *   `policyCache` (default true: `loadPolicyContext` results are reused until the next write).
 * @example
 * ```ts
 * import { openMemorySpaceStore } from '@mcpmux/space-store/memory';
 * const store = openMemorySpaceStore();
 * await store.createSpace({ id: 'demo' });
 * ```
 */
export function openMemorySpaceStore(options: MemorySpaceStoreOptions = {}): MemorySpaceStore {
  return new MemorySpaceStore(options);
}

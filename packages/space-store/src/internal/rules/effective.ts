import type { EffectiveServer } from '../../types.js';
import type { EffectiveRow } from '../repo.js';
import { opt } from '../util.js';
import { defaultAlias } from './aliases.js';
import { configHash } from './keys.js';
import { mergeTransport } from './overrides.js';

/** Config hashes by their rows' `configKey` (hashing is the costly part of `effectiveServers`). */
export class ConfigHashMemo {
  private readonly hashes = new Map<string, string>();

  /** The memoised hash of `key`, computing it once. */
  get(key: string, compute: () => string): string {
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      if (this.hashes.size >= 4096) this.hashes.clear();
      hash = compute();
      this.hashes.set(key, hash);
    }
    return hash;
  }
}

/**
 * An effective server from its definition and the Space's installation row (when any): overrides
 * merged, the default alias and prefix for a default-enabled server without a row.
 */
export function toEffectiveServer(row: EffectiveRow, memo: ConfigHashMemo): EffectiveServer {
  const { server, installation } = row;
  const overrides = installation?.overrides ?? {};
  const transport = mergeTransport(server.transport, overrides);
  const timeoutSeconds = overrides.timeoutSeconds ?? server.timeoutSeconds;
  return {
    serverId: server.id,
    name: server.name,
    alias: installation?.alias ?? defaultAlias(server.id),
    prefix: installation?.prefix ?? true,
    defaultEnabled: server.defaultEnabled,
    installedAt: installation?.installedAt ?? server.createdAt,
    transport,
    inputs: server.inputs,
    ...opt('timeoutSeconds', timeoutSeconds),
    definitionHash: memo.get(row.configKey, () => configHash(transport, timeoutSeconds)),
  };
}

import type {
  InstallationOverrides,
  InstallationOverridesPatch,
  ServerDefinition,
  ServerTransport,
} from '../../types.js';
import { refuseSecretInArgv } from '../argv-secrets.js';
import { invalid } from '../errors.js';
import { opt } from '../util.js';
import { checkSecretInputs } from './secret-inputs.js';

/**
 * A server definition's transport with a Space's overrides applied (templates untouched): `args`
 * replaced, `env` and `headers` merged key by key. Pure.
 *
 * @example
 * ```ts
 * mergeTransport({ type: 'stdio', command: 'gh', env: { A: '1' } }, { env: { B: '2' } });
 * // { type: 'stdio', command: 'gh', env: { A: '1', B: '2' } }
 * ```
 */
export function mergeTransport(
  transport: ServerTransport,
  overrides: InstallationOverrides,
): ServerTransport {
  if (transport.type === 'stdio') {
    return {
      ...transport,
      args: overrides.args ?? transport.args,
      env: { ...transport.env, ...overrides.env },
    };
  }
  return { ...transport, headers: { ...transport.headers, ...overrides.headers } };
}

/** A templated map with a patch merged in: a string sets a key, `null` removes it. */
function patchMap(
  current: Record<string, string> | undefined,
  patch: Record<string, string | null> | null | undefined,
): Record<string, string> | undefined {
  if (patch === undefined) return current;
  if (patch === null) return undefined;
  const out = new Map(Object.entries(current ?? {}));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, v);
  }
  return out.size === 0 ? undefined : Object.fromEntries(out);
}

/**
 * An installation's overrides with a patch applied (see `InstallationOverridesPatchSchema`): `env`
 * and `headers` merged key by key (`null` removes a key, or the whole map), `args` and
 * `timeoutSeconds` replaced (`null` removes them). Empty maps are dropped. Pure.
 *
 * @example
 * ```ts
 * applyOverridesPatch({ env: { A: '1', B: '2' } }, { env: { A: null, C: '3' } });
 * // { env: { B: '2', C: '3' } }
 * ```
 */
export function applyOverridesPatch(
  current: InstallationOverrides,
  patch: InstallationOverridesPatch,
): InstallationOverrides {
  const args = patch.args === undefined ? current.args : (patch.args ?? undefined);
  const timeoutSeconds =
    patch.timeoutSeconds === undefined ? current.timeoutSeconds : (patch.timeoutSeconds ?? undefined);
  return {
    ...opt('args', args),
    ...opt('env', patchMap(current.env, patch.env)),
    ...opt('headers', patchMap(current.headers, patch.headers)),
    ...opt('timeoutSeconds', timeoutSeconds),
  };
}

/**
 * Checks a Space's overrides against the server they customise: `env`/`args` only for stdio,
 * `headers` only for HTTP/SSE, no literal values for declared secret inputs, no `${secret:...}` in
 * `args`.
 * @throws `INVALID_INPUT` naming the field.
 */
export function checkOverrides(server: ServerDefinition, overrides: InstallationOverrides): void {
  const stdio = server.transport.type === 'stdio';
  if (stdio && overrides.headers !== undefined) {
    throw invalid('overrides.headers', `server "${server.id}" runs over stdio; use env overrides instead`);
  }
  if (!stdio && (overrides.env !== undefined || overrides.args !== undefined)) {
    const field = overrides.env !== undefined ? 'overrides.env' : 'overrides.args';
    throw invalid(
      field,
      `server "${server.id}" is reached over ${server.transport.type}; use header overrides instead`,
    );
  }
  checkSecretInputs(server.inputs, [
    { field: 'overrides.env', values: overrides.env },
    { field: 'overrides.headers', values: overrides.headers },
  ]);
  refuseSecretInArgv('overrides', { args: overrides.args });
}

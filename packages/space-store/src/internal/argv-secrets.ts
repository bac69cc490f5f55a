import { McpmuxError } from '@mcpmux/core';

// The vault owns the `${secret:NAME}` syntax (and refuses the same at resolve time, so rows written
// before this rule cannot leak either); the store only needs to spot the `${secret:` form.
const SECRET_REFERENCE = /\$\{secret:([^}]*)\}/;
const SHOWABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Refuses a `${secret:...}` reference in a stdio command line (`command` or `args`): resolved, the
 * value would sit in the child's argument list, which every local user can read (`/proc/PID/cmdline`).
 *
 * @param prefix - The field path of the command line, e.g. `server.transport` or `overrides`.
 * @throws `INVALID_INPUT` with `data.field` (e.g. `server.transport.args.1`) and `data.secret` (the
 *   name, never a value), saying to pass the secret through the environment.
 */
export function refuseSecretInArgv(
  prefix: string,
  commandLine: { command?: string | undefined; args?: readonly string[] | undefined },
): void {
  const fields: [string, string][] = [];
  if (commandLine.command !== undefined) fields.push([`${prefix}.command`, commandLine.command]);
  for (const [i, arg] of (commandLine.args ?? []).entries()) fields.push([`${prefix}.args.${i}`, arg]);
  for (const [field, text] of fields) {
    const match = SECRET_REFERENCE.exec(text);
    if (match === null) continue;
    // A malformed name might be a value pasted by mistake: only a well-formed one is echoed.
    const showable = SHOWABLE_NAME.test(match[1] ?? '');
    const name = showable ? (match[1] as string) : 'NAME';
    throw new McpmuxError(
      'INVALID_INPUT',
      `${field}: holds \${secret:${name}}, and secrets never go in command-line arguments: every local user can read a process's arguments (/proc/PID/cmdline). Pass it through the environment: --env ${name}='\${secret:${name}}' and reference it as the server expects.`,
      { data: showable ? { field, secret: name } : { field } },
    );
  }
}

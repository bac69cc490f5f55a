// The environment a stdio upstream inherits from the gateway (no other import: the prespawn entry
// uses it before the MCP SDK is loaded).

/** The environment variables a stdio child inherits from the pool's `baseEnv` (besides its own `env`). */
export const INHERITED_ENV_NAMES: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SystemRoot',
  'SystemDrive',
  'windir',
  'ComSpec',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
  'ProgramFiles',
  'ProgramData',
];

/** Picks the {@link INHERITED_ENV_NAMES} present in `env`. */
export function pickInheritedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED_ENV_NAMES) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

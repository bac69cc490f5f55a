// Constants the command tree shows in its help (defaults and choices). Kept apart from the modules
// that use them so building the program loads only commander: a command's module is imported when
// that command runs.
import type { LogFormat, LogLevel } from '@mcpmux/server';

/** The gateway's default port (DESIGN.md §6). */
export const DEFAULT_PORT = 45818;

/** How many of the log's last lines `mcpmux logs` prints first by default. */
export const DEFAULT_LOG_LINES = 50;

/** `--log-level` choices of `serve`, `start` and `restart` (the server's levels; kept here so the CLI starts light). */
export const LOG_LEVEL_CHOICES = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
] as const satisfies readonly LogLevel[];

/** `--log-format` choices of `serve`, `start` and `restart`. */
export const LOG_FORMAT_CHOICES = ['pretty', 'json'] as const satisfies readonly LogFormat[];

/**
 * The apps `connect` writes a config for: `APP_IDS` of `@mcpmux/server` (the owner; a test keeps the
 * two equal), listed here so that building the program does not load the server's modules.
 */
export const CONNECT_APPS = ['cursor', 'claude-desktop', 'claude-code', 'vscode', 'windsurf'] as const;
